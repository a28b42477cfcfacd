"""Making no pairs says why: how many trajectories were eligible, and why the others were not."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import copy_of, run_cli, synthesised_workspace, template
from fcstudio.prefs.pairs import explain_none_made, make_pairs
from fcstudio.store import scalar
from fcstudio.synth.trajectories import set_status


def test_no_pairs_made_says_which_trajectories_were_not_eligible_and_why(tmp_path: Path) -> None:
    ws = copy_of(template("eligibility", lambda w: synthesised_workspace(w.path, seed=11)), tmp_path / "ws.duckdb")
    with ws.connect() as con:
        synth = [
            int(r[0]) for r in con.execute("SELECT id FROM trajectories WHERE origin = 'synth' ORDER BY id").fetchall()
        ]
        imported = int(scalar(con, "SELECT count(*) FROM trajectories WHERE origin <> 'synth'"))
        set_status(con, synth[0], "rejected")
        first = make_pairs(con, "perturb", seed=1)
        assert first.eligible == len(synth) - 1 - first.ineligible.get("not verified", 0)
        assert first.ineligible["rejected by a reviewer"] == 1
        assert first.ineligible["not synthesised from a path (no plan)"] == imported
        again = make_pairs(con, "perturb", seed=1)  # everything eligible was paired the first time
    # what was eligible and paired is no longer; a trajectory whose negative was trivial made no pair, so it still is
    assert again.created == [] and again.eligible == first.skipped_trivial + first.same_as_chosen == 1
    assert again.ineligible["already paired with this strategy"] == len(set(first.created))
    assert explain_none_made(again) == (
        "no pairs made from 1 eligible trajectories: 1 were trivial (--keep-trivial keeps them)"
    )

    done = run_cli("pairs", "make", "--strategy", "perturb", "--trajectories", f"{synth[0]},999999", workspace=ws.path)
    assert done.returncode == 0
    assert json.loads(done.stdout)["ineligible"] == {"rejected by a reviewer": 1, "no such trajectory": 1}
    assert "no pairs made: no trajectory was eligible (1 rejected by a reviewer, 1 no such trajectory)" in done.stderr
