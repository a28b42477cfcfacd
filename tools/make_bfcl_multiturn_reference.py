"""Records bfcl-eval's own multi-turn behaviour as a test fixture: ``tests/fixtures/bfcl_multiturn_reference.json.gz``.

For every multi-turn entry of ``../shared/data/bfcl_v4`` (the four categories) and every case that
``tests/bfcl_multiturn_cases.py`` builds from it (the gold answer and its perturbations), bfcl-eval 2026.3.23's
executor runs the case's calls turn by turn and its evaluator gives the verdict (``tools/bfcl_multiturn_reference.py``).
The fixture keeps, per case, a digest of each turn's results and of each turn's state (fcstudio's ``plain`` of the
instances' public attributes) and the verdict; for each entry's gold replay it keeps the results themselves.
``tests/test_bfcl_multi_turn.py`` requires fcstudio to give the same on every case. Run it again when the pinned
release, the data or the cases change:

    .venv/bin/python tools/make_bfcl_multiturn_reference.py [--data ../shared/data/bfcl_v4] [--bfcl-dir DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools"), str(ROOT / "tests")]

from bfcl_multiturn_cases import SEED, cases_for, turns_digests  # noqa: E402
from bfcl_multiturn_reference import MultiTurnReference  # noqa: E402
from bfcl_reference import VERSION  # noqa: E402

from fcstudio.envs.bfcl.entries import load_entries  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "bfcl_multiturn_reference.json.gz"


def build(data: Path, ref: MultiTurnReference) -> dict[str, Any]:
    entries = load_entries(data)
    by_id = {e["id"]: e for e in entries}
    gold = {}
    for entry in entries:
        turns = ref.execute(entry, [[calls] for calls in entry["ground_truth"]])
        gold[entry["id"]] = {"results": [t["results"] for t in turns], "digests": turns_digests(turns)}
    cases = {}
    for case in cases_for(entries):
        entry = by_id[case["entry_id"]]
        turns = ref.execute(entry, case["model_output"])
        cases[case["id"]] = {"digests": turns_digests(turns), "verdict": ref.verdict(entry, case["model_output"])}
    return {
        "bfcl_eval": VERSION,
        "seed": SEED,
        "data": str(data),
        "made": time.strftime("%Y-%m-%d"),
        "gold": gold,
        "cases": cases,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl_v4")
    parser.add_argument("--bfcl-dir", type=Path, default=None, help="an unpacked bfcl-eval (else downloaded)")
    args = parser.parse_args()
    fixture = build(args.data, MultiTurnReference(args.bfcl_dir))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT, "wt", compresslevel=9) as fh:
        json.dump(fixture, fh, sort_keys=True)
    kinds = Counter(v["verdict"]["error_type"] or "valid" for v in fixture["cases"].values())
    print(
        f"wrote {OUT.relative_to(ROOT)}: {len(fixture['gold'])} entries, {len(fixture['cases'])} cases; {dict(kinds)}"
    )


if __name__ == "__main__":
    main()
