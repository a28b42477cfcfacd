"""Pairs, labels (enforced in the database, under concurrency), agreement, export loaded by `datasets`, mDPO loss;
the diff of a pair's sides, trivial pairs (skipped, flagged, backfilled) and labels on single assistant turns."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import duckdb
import pytest

from conftest import copy_of, run_cli, synthesised_workspace, template
from fcstudio.prefs.diff import is_trivial, pair_diff, text_segments
from fcstudio.prefs.export import export, mdpo_rows
from fcstudio.prefs.labels import (
    LabelRefused,
    agreement,
    cohen_kappa,
    label_pair,
    label_turn,
    next_pair,
    pair_labels,
    turn_labels,
)
from fcstudio.prefs.mdpo import mdpo_loss
from fcstudio.prefs.pairs import ERROR_TYPES, get_pair, list_pairs, make_pairs, rule_judge, store_pair
from fcstudio.store import Workspace, migrate, rows, run, scalar
from fcstudio.synth.plan import PlannedCall, TurnPlan


def _make_paired(ws: Workspace) -> None:
    synthesised_workspace(ws.path, seed=11)
    with ws.connect() as con:
        make_pairs(con, "perturb", annotators=2, seed=1)
        make_pairs(con, "misleading_hint", annotators=1, seed=1)


@pytest.fixture
def paired(tmp_path: Path) -> Workspace:
    """This test's own copy of a workspace with perturb (2 annotators) and misleading-hint pairs, no labels."""
    return copy_of(template("paired", _make_paired), tmp_path / "pairs.duckdb")


def test_pairs_share_a_prefix_and_differ(paired: Workspace) -> None:
    with paired.connect() as con:
        found = rows(con, "SELECT * FROM pairs ORDER BY id")
        verified = scalar(con, "SELECT count(*) FROM trajectories WHERE verified")
        assert len([p for p in found if p["strategy"] == "perturb"]) >= verified - 1 > 0
        assert {p["strategy"] for p in found} == {"perturb", "misleading_hint"}
        for p in found:
            prefix, chosen, rejected = (json.loads(p[k]) for k in ("prefix", "chosen", "rejected"))
            assert prefix[-1]["role"] == "user" and chosen[0]["role"] == rejected[0]["role"] == "assistant"
            assert chosen != rejected and p["error_type"] in ERROR_TYPES and p["judge"] == "rule"
            for m in rejected:  # every rejected call has its (real or simulated) result
                for tc in m.get("tool_calls") or []:
                    assert any(x.get("tool_call_id") == tc["id"] for x in rejected)
        # making pairs again (same seed) adds none: each trajectory has its pair, or its negative was trivial
        again = make_pairs(con, "perturb", seed=1)
        assert again.created == [] and again.skipped_trivial == verified - len(
            [p for p in found if p["strategy"] == "perturb"]
        )
        with pytest.raises(ValueError, match="no_hint needs a model"):
            make_pairs(con, "no_hint")


def test_rule_judge_error_types() -> None:
    def call(t: int, i: int, name: str, sources: dict) -> PlannedCall:
        return PlannedCall(t, i, name, name, {}, sources, [])

    def msg(*calls: tuple[str, dict]) -> list[dict]:
        tcs = [
            {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(calls)
        ]
        return [{"role": "assistant", "content": None, "tool_calls": tcs}, {"role": "assistant", "content": "ok 3"}]

    nested = TurnPlan(
        2,
        "normal",
        [call(2, 0, "find", {}), call(2, 1, "book", {"id": {"kind": "output", "turn": 2, "call": 0, "field": "id"}})],
    )
    assert (
        rule_judge(nested, msg(("find", {}), ("book", {"id": 1})), msg(("book", {"id": 9})))[0] == "nested_call_missing"
    )
    short = TurnPlan(3, "normal", [call(3, 0, "book", {"id": {"kind": "output", "turn": 2, "call": 0, "field": "id"}})])
    assert rule_judge(short, msg(("book", {"id": 1})), msg(("book", {"id": 2})))[0] == "short_dependency"
    long = TurnPlan(5, "normal", [call(5, 0, "book", {"id": {"kind": "output", "turn": 1, "call": 0, "field": "id"}})])
    assert rule_judge(long, msg(("book", {"id": 1})), msg(("book", {"id": 2})))[0] == "long_dependency"
    same = msg(("book", {"id": 1}))
    other_text = [same[0], {"role": "assistant", "content": "ok 4"}]
    assert rule_judge(short, same, other_text)[0] == "wrong_summary"
    assert rule_judge(short, msg(("book", {"id": 1})), msg(("cancel", {})))[0] == "missed_function_or_parameters"


def _fresh_pair(tmp_path: Path, required: int) -> tuple[Workspace, int]:
    """A workspace of its own holding one pair that needs ``required`` labels."""
    ws = Workspace(tmp_path / "labels.duckdb")
    made = {
        "turn": 0,
        "prefix": [{"role": "user", "content": "Book it."}],
        "chosen": [{"role": "assistant", "content": "Booked D120."}],
        "rejected": [{"role": "assistant", "content": "Booked A136."}],
        "tools": [],
        "error_type": "wrong_summary",
        "judge": "rule",
    }
    with ws.connect() as con:
        return ws, store_pair(con, None, made, "perturb", required, None)


def test_annotator_count_is_enforced_by_the_database(tmp_path: Path) -> None:
    ws, pid = _fresh_pair(tmp_path, required=2)
    with ws.connect() as con:
        assert next_pair(con, "ana") == pid
        assert label_pair(con, pid, "ana", "chosen", ["wrong argument"]) == 1
        with pytest.raises(LabelRefused, match="already labelled"):
            label_pair(con, pid, "ana", "rejected")
        assert label_pair(con, pid, "ben", "chosen") == 2
        with pytest.raises(LabelRefused, match="already has its 2 label"):
            label_pair(con, pid, "cai", "tie")
        assert next_pair(con, "cai") != pid

        # the database itself refuses a label beyond the pair's count, whatever the caller does:
        insert = "INSERT INTO pair_labels (pair_id, slot, required, annotator, choice, reasons) VALUES (?, ?, ?, ?, 'tie', [])"
        with pytest.raises(duckdb.ConstraintException, match="CHECK constraint"):
            run(con, insert, [pid, 3, 2, "cai"])  # one slot too many
        with pytest.raises(duckdb.ConstraintException, match="foreign key"):
            run(con, insert, [pid, 3, 3, "cai"])  # ... with a made-up count
        with pytest.raises(duckdb.ConstraintException, match=r"(?i)duplicate key"):
            run(con, insert, [pid, 2, 2, "cai"])  # a taken slot
        with pytest.raises(duckdb.ConstraintException, match=r"(?i)duplicate key"):
            run(con, insert, [pid, 1, 2, "ana"])  # an annotator twice
        with pytest.raises(duckdb.ConstraintException, match="foreign key"):
            run(con, "UPDATE pairs SET annotators_required = 5 WHERE id = ?", [pid])  # labels pin the count
        assert [(r["slot"], r["annotator"]) for r in pair_labels(con, pid)] == [(1, "ana"), (2, "ben")]


def test_two_annotators_saving_at_once_collide_and_the_loser_retries(tmp_path: Path) -> None:
    """Alice inserts slot 1 and holds her transaction open; Bob, meanwhile, also takes slot 1 and commits first.
    Alice's commit then conflicts on the primary key; she retries and gets slot 2. Nothing is lost or doubled."""
    ws, pid = _fresh_pair(tmp_path, required=2)
    alice_inserted, bob_done = threading.Event(), threading.Event()
    retries: list[str] = []
    slots: dict[str, int] = {}
    with ws.connect() as con:

        def hold(slot: int) -> None:
            alice_inserted.set()
            assert bob_done.wait(10)

        def alice() -> None:
            cur = con.cursor()
            slots["alice"] = label_pair(
                cur, pid, "alice", "chosen", before_commit=hold, on_retry=lambda n, why: retries.append(why)
            )
            cur.close()

        def bob() -> None:
            assert alice_inserted.wait(10)
            cur = con.cursor()
            slots["bob"] = label_pair(cur, pid, "bob", "rejected")
            cur.close()
            bob_done.set()

        threads = [threading.Thread(target=alice), threading.Thread(target=bob)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        stored = [(r["slot"], r["annotator"], r["choice"]) for r in pair_labels(con, pid)]
    assert slots == {"bob": 1, "alice": 2}  # both threads wrote
    assert retries and "duplicate key" in retries[0]  # and the conflict was real, and retried
    assert stored == [(1, "bob", "rejected"), (2, "alice", "chosen")]


def test_many_annotators_at_once_fill_each_pair_exactly(tmp_path: Path) -> None:
    """Four threads label the same 30 pairs of 2 labels each, starting at different pairs, with their first
    transactions provably open at the same moment (a barrier inside each first commit that only opens when all
    four are waiting). Every pair ends with exactly 2 labels, every success is stored once, every thread stored
    some (a run where one thread did all the work cannot pass)."""
    ws, first = _fresh_pair(tmp_path, required=2)
    with ws.connect() as con:
        template = rows(con, "SELECT prefix, chosen FROM pairs WHERE id = ?", [first])[0]
        for i in range(29):
            run(
                con,
                """INSERT INTO pairs (id, turn, prefix, chosen, rejected, tools, strategy, error_type, judge,
                                      annotators_required)
                   VALUES (nextval('pair_seq'), 0, ?, ?, ?, '[]', 'perturb', 'wrong_summary', 'rule', 2)""",
                [template["prefix"], template["chosen"], json.dumps([{"role": "assistant", "content": f"v{i}"}])],
            )
        targets = [r[0] for r in run(con, "SELECT id FROM pairs ORDER BY id")]
        names = ("dan", "eve", "fay", "gus")
        results: dict[str, list[tuple[int, int]]] = {n: [] for n in names}
        all_open = threading.Barrier(len(names), timeout=30)
        retries: list[str] = []

        def work(name: str, start: int) -> None:
            cur = con.cursor()
            hold = lambda slot: all_open.wait()  # noqa: E731 - first commit only
            for pid in targets[start:] + targets[:start]:
                try:
                    slot = label_pair(
                        cur, pid, name, "chosen", before_commit=hold, on_retry=lambda n, w: retries.append(w)
                    )
                    results[name].append((pid, slot))
                except LabelRefused:
                    pass
                hold = None
            cur.close()

        threads = [threading.Thread(target=work, args=(n, i * len(targets) // len(names))) for i, n in enumerate(names)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not all_open.broken  # all four first transactions were open together
        stored = rows(con, "SELECT pair_id, count(*) AS n, max(slot) AS top FROM pair_labels GROUP BY 1")
    assert {r["pair_id"] for r in stored} == set(targets) and all(r["n"] == r["top"] == 2 for r in stored)
    assert sum(len(v) for v in results.values()) == 2 * len(targets)  # every success is stored, exactly once
    assert all(results[n] for n in names), {n: len(v) for n, v in results.items()}  # every thread stored some


def test_cohen_kappa_matches_a_hand_computation(tmp_path: Path) -> None:
    # 6 items, agreeing on 5: p_o = 5/6; a has 3 chosen 2 rejected 1 tie, b 2 chosen 3 rejected 1 tie
    a = ["chosen", "chosen", "chosen", "rejected", "rejected", "tie"]
    b = ["chosen", "chosen", "rejected", "rejected", "rejected", "tie"]
    p_e = (3 * 2 + 2 * 3 + 1 * 1) / 36
    assert cohen_kappa(a, b) == pytest.approx((5 / 6 - p_e) / (1 - p_e)) == pytest.approx(17 / 23)
    assert cohen_kappa(["tie"], ["tie"]) is None
    ws, pid = _fresh_pair(tmp_path, required=2)
    with ws.connect() as con:
        label_pair(con, pid, "ana", "chosen")
        label_pair(con, pid, "ben", "rejected")
        result = agreement(con)
    assert result["pairs"] == [{"a": "ana", "b": "ben", "items": 1, "kappa": 0.0}]  # no agreement beyond chance


def test_export_loads_with_datasets(paired: Workspace, tmp_path: Path) -> None:
    import datasets

    with paired.connect() as con:
        assert export(con, "sft", tmp_path / "none.jsonl")["rows"] == 0  # nothing accepted yet
        tid = scalar(con, "SELECT min(id) FROM trajectories WHERE verified")
        run(con, "UPDATE trajectories SET status = 'accepted' WHERE id = ?", [tid])
        # annotators who all prefer the machine's rejected side: the export swaps the two
        swapped, required = run(
            con,
            """SELECT id, annotators_required FROM pairs p
               WHERE NOT EXISTS (SELECT 1 FROM pair_labels l WHERE l.pair_id = p.id) ORDER BY id LIMIT 1""",
        )[0]
        for k in range(required):
            label_pair(con, swapped, f"swap-{k}", "rejected")
        machine_rejected = json.loads(scalar(con, "SELECT rejected FROM pairs WHERE id = ?", [swapped]))
        sft = export(con, "sft", tmp_path / "sft.jsonl")
        dpo = export(con, "dpo", tmp_path / "dpo.parquet", fmt="parquet")
        dpo_all = export(con, "dpo", tmp_path / "dpo_all.jsonl", include_all=True)
        mdpo = export(con, "mdpo", tmp_path / "mdpo.jsonl", include_all=True)
        labelled_full = scalar(
            con,
            """SELECT count(*) FROM pairs p WHERE (SELECT count(*) FROM pair_labels l WHERE l.pair_id = p.id)
               >= p.annotators_required""",
        )
    assert sft["rows"] == 1 and dpo["rows"] == labelled_full > 0 and dpo_all["rows"] > dpo["rows"]
    ds = datasets.load_dataset("json", data_files=str(tmp_path / "sft.jsonl"), split="train")
    assert set(ds.column_names) >= {"messages", "tools"}
    assert ds[0]["messages"][0]["role"] == "system" and ds[0]["tools"][0]["type"] == "function"
    pref = datasets.load_dataset("parquet", data_files=str(tmp_path / "dpo.parquet"), split="train")
    assert set(pref.column_names) >= {"prompt", "chosen", "rejected", "tools"}
    row = pref[0]
    assert row["prompt"][-1]["role"] == "user" and row["chosen"][0]["role"] == "assistant"
    assert any(m["tool_calls"] for m in row["chosen"] + row["rejected"])
    tool_msgs = [m for m in row["chosen"] if m["role"] == "tool"]
    assert all(m["tool_call_id"] for m in tool_msgs)
    exported = {
        json.loads(line)["id"]: json.loads(line) for line in (tmp_path / "dpo_all.jsonl").read_text().splitlines()
    }
    flipped = exported[f"pair-{swapped}"]
    assert flipped["label"] == "rejected" and flipped["chosen"][-1]["content"] == machine_rejected[-1]["content"]
    multi = datasets.load_dataset("json", data_files=str(tmp_path / "mdpo.jsonl"), split="train")
    assert multi.num_rows == mdpo["rows"] and all(t["chosen"] != t["rejected"] for r in multi for t in r["turns"])


def test_mdpo_loss_hand_computed() -> None:
    # two assistant turns on each side; η = 0.5, λ = 2
    chosen_pi, chosen_ref = [[-0.5, -0.25], [-1.0]], [[-1.0, -0.5], [-1.0]]
    rejected_pi, rejected_ref = [[-2.0], [-1.5, -0.5]], [[-1.0], [-1.0, -0.5]]
    # log-ratios: chosen (−1.75) − (−2.5) = 0.75; rejected (−4.0) − (−2.5) = −1.5; margin = 0.5 · 2.25 = 1.125
    margin = 1.125
    mdpo = math.log(1 + math.exp(-margin))
    sft = 1.75 / 3
    loss = mdpo_loss(chosen_pi, chosen_ref, rejected_pi, rejected_ref, eta=0.5, lam=2.0)
    assert loss.margin == pytest.approx(margin)
    assert loss.mdpo == pytest.approx(mdpo) == pytest.approx(0.28115, abs=1e-5)  # ln(1 + e^-1.125)
    assert loss.sft == pytest.approx(sft)
    assert loss.total == pytest.approx(sft + 2.0 * mdpo)
    with pytest.raises(ValueError, match="turn 1: 2 policy tokens but 1 reference"):
        mdpo_loss([[-1.0], [-1.0, -1.0]], [[-1.0], [-1.0]], [[-1.0]], [[-1.0]])


def test_no_hint_pairs_against_a_local_model(tmp_path: Path) -> None:
    from openai_stub import StubServer
    from scripted import teacher

    from fcstudio.llm import LLMConfig

    ws = synthesised_workspace(tmp_path / "nohint.duckdb", seed=11)
    with StubServer(respond=teacher()) as server, ws.connect() as con:
        made = make_pairs(con, "no_hint", llm=LLMConfig(model="weak", base_url=server.base_url), seed=2)
        assert made.created and made.usage["calls"] > 0
        forth = [r["body"] for r in server.requests if "tools" in r["body"]]
        assert forth and not any(  # the model really was asked without the hint
            m["role"] == "system" and (m.get("content") or "").startswith("Hint:") for b in forth for m in b["messages"]
        )
        for p in rows(con, "SELECT rejected, error_type, judge, strategy FROM pairs"):
            assert p["strategy"] == "no_hint" and p["error_type"] in ERROR_TYPES
            assert p["judge"] == "rule"  # the scripted model answers the judge with {}: unusable, so the rules decide


# -- what differs, trivial pairs, labels on single turns -----------------------------------------------------


def _call(name: str, args: dict, cid: str = "c0") -> dict:
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def test_diff_names_the_changed_call_argument_and_words() -> None:
    a = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [_call("find", {"city": "Goa"}, "c0"), _call("book", {"n": 4, "at": "14:00"}, "c1")],
        },
        {"role": "assistant", "content": "Booked a table for four at 14:00."},
    ]
    b = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [_call("book", {"n": 2, "at": "14:00", "vip": True}, "c1"), _call("cancel", {}, "c2")],
        },
        {"role": "assistant", "content": "Booked a table for two at 14:00."},
    ]
    diff = pair_diff(a, b)
    kinds = [(c.kind, c.name) for c in diff.calls]
    assert kinds == [("only_a", "find"), ("changed", "book"), ("only_b", "cancel")]
    book = diff.calls[1]
    assert [(x.name, x.kind, x.a, x.b) for x in book.args] == [("n", "changed", 4, 2), ("vip", "only_b", None, True)]
    assert [t for t, marked in diff.text_a if marked] == ["four"]
    assert [t for t, marked in diff.text_b if marked] == ["two"]
    assert "".join(t for t, _ in diff.text_a) == "Booked a table for four at 14:00."  # segments rebuild the text
    assert diff.summary() == [
        "only A calls find",
        "book: n: 4 → 2; vip only in B",
        "only B calls cancel",
        "the text differs",
    ]
    same = pair_diff(a, a)
    assert same.same_calls and same.same_text and same.summary() == []
    left, right = text_segments("confirmation 19", "confirmation 9")
    assert left == [("confirmation ", False), ("19", True)] and right == [("confirmation ", False), ("9", True)]


def _trivial_candidate(con: duckdb.DuckDBPyConnection) -> int:
    """The verified trajectory of the paired workspace that got no perturb pair: its negative was trivial."""
    return scalar(
        con,
        """SELECT min(id) FROM trajectories t WHERE verified
           AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.trajectory_id = t.id AND p.strategy = 'perturb')""",
    )


def test_a_pair_differing_only_in_a_returned_id_is_skipped_or_flagged(paired: Workspace) -> None:
    with paired.connect() as con:
        tid = _trivial_candidate(con)
        skipped = make_pairs(con, "perturb", trajectory_ids=[tid], seed=1)
        assert skipped.created == [] and skipped.skipped_trivial == 1 and skipped.status == "done"
        kept = make_pairs(con, "perturb", trajectory_ids=[tid], seed=1, keep_trivial=True)
        assert len(kept.created) == 1 and kept.skipped_trivial == 0
        pid = kept.created[0]
        pair = get_pair(con, pid)
        assert pair is not None and pair["trivial"] is True
        diff = pair_diff(pair["chosen"], pair["rejected"])
        assert diff.same_calls and not diff.same_text
        # every differing word of the chosen side is an identifier the chosen side's tools returned
        returned = " ".join(m["content"] for m in pair["chosen"] if m["role"] == "tool")
        changed = [t for t, marked in diff.text_a if marked]
        assert changed and all(t in returned for t in changed)
        # the other pairs of the same workspace: a changed argument, a misstated price or time, are not trivial
        others = rows(con, "SELECT id, perturbation, chosen, rejected, trivial FROM pairs WHERE id <> ?", [pid])
        assert not any(r["trivial"] for r in others)
        argued = [r for r in others if r["perturbation"] == "wrong_argument"]
        assert argued
        for r in argued:
            c, j = json.loads(r["chosen"]), json.loads(r["rejected"])
            assert not is_trivial(c, j) and any(
                x.kind in ("changed", "only_a", "only_b") for x in pair_diff(c, j).calls
            )
        assert [p["id"] for p in list_pairs(con, trivial=True)] == [pid]
        assert pid not in [p["id"] for p in list_pairs(con, trivial=False, limit=1000)]
        run(con, "DELETE FROM pairs WHERE id <> ?", [pid])
        assert next_pair(con, "ana", include_trivial=False) is None and next_pair(con, "ana") == pid
    listed = run_cli("pairs", "list", "--trivial", workspace=paired.path)
    assert listed.returncode == 0 and [p["id"] for p in json.loads(listed.stdout)] == [pid]
    shown = json.loads(run_cli("pairs", "diff", str(pid), workspace=paired.path).stdout)
    assert (
        shown["trivial"] is True and shown["differences"] == ["the text differs"] and shown["chosen_words"] == changed
    )


def test_pairs_make_cli_reports_the_skipped_trivial(paired: Workspace) -> None:
    with paired.connect() as con:
        tid = _trivial_candidate(con)
    done = run_cli(
        "pairs", "make", "--strategy", "perturb", "--trajectories", str(tid), "--seed", "1", workspace=paired.path
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["skipped_trivial"] == 1 and summary["created"] == 0

    with paired.connect() as con:  # and a pair that changes an argument: pairs diff names the call and the values
        argued = rows(con, "SELECT id, chosen, rejected FROM pairs WHERE perturbation = 'wrong_argument' LIMIT 1")[0]
    expected = pair_diff(json.loads(argued["chosen"]), json.loads(argued["rejected"]))
    other = json.loads(run_cli("pairs", "diff", str(argued["id"]), workspace=paired.path).stdout)
    assert other["trivial"] is False and other["differences"] == expected.summary(("chosen", "rejected"))
    assert any("→" in line or "only" in line for line in other["differences"])
    assert other["calls"] and all(c["kind"] != "same" for c in other["calls"])
    assert run_cli("pairs", "diff", "999999", workspace=paired.path).returncode != 0


def test_migration_13_flags_the_trivial_pairs_stored_before_it(paired: Workspace, tmp_path: Path) -> None:
    with paired.connect() as con:
        tid = _trivial_candidate(con)
        trivial = get_pair(con, make_pairs(con, "perturb", trajectory_ids=[tid], seed=1, keep_trivial=True).created[0])
        other = get_pair(con, int(scalar(con, "SELECT min(id) FROM pairs WHERE perturbation = 'wrong_argument'")))
    assert trivial is not None and other is not None
    old = duckdb.connect(str(tmp_path / "v12.duckdb"))
    migrate(old, target=12)
    for i, p in enumerate((trivial, other), start=1):
        run(
            old,
            """INSERT INTO pairs (id, turn, prefix, chosen, rejected, tools, strategy, error_type, judge)
               VALUES (?, 0, '[]', ?, ?, '[]', 'perturb', 'wrong_summary', 'rule')""",
            [i, json.dumps(p["chosen"]), json.dumps(p["rejected"])],
        )
    run(
        old,
        "INSERT INTO pair_labels (pair_id, slot, required, annotator, choice, reasons) VALUES (1, 1, 1, 'a', 'tie', [])",
    )
    assert migrate(old) >= 13
    assert rows(old, "SELECT id, trivial FROM pairs ORDER BY id") == [
        {"id": 1, "trivial": True},
        {"id": 2, "trivial": False},
    ]
    assert scalar(old, "SELECT count(*) FROM pair_labels") == 1  # the labels of the altered table are intact
    old.close()


def test_turn_labels_round_trip_into_the_mdpo_export(paired: Workspace) -> None:
    with paired.connect() as con:
        pid, required = run(
            con, "SELECT id, annotators_required FROM pairs WHERE strategy = 'perturb' ORDER BY id LIMIT 1"
        )[0]
        pair = get_pair(con, pid)
        assert pair is not None
        first = next(i for i, m in enumerate(pair["chosen"]) if m["role"] == "assistant")
        last = max(i for i, m in enumerate(pair["rejected"]) if m["role"] == "assistant")
        tool_at = next(i for i, m in enumerate(pair["rejected"]) if m["role"] == "tool")
        label_turn(con, pid, "ana", "chosen", first, "good")
        label_turn(con, pid, "ana", "chosen", first, "bad", "  the wrong id  ")  # a second mark replaces the first
        label_turn(con, pid, "ben", "rejected", last, "good")
        label_turn(con, pid, "ben", "rejected", first, "bad")
        label_turn(con, pid, "ben", "rejected", first, None)  # cleared
        with pytest.raises(LabelRefused, match="not an assistant turn"):
            label_turn(con, pid, "ana", "rejected", tool_at, "bad")
        with pytest.raises(LabelRefused, match="unknown side"):
            label_turn(con, pid, "ana", "left", first, "bad")
        with pytest.raises(LabelRefused, match="unknown turn label"):
            label_turn(con, pid, "ana", "chosen", first, "meh")
        with pytest.raises(LabelRefused, match="no pair"):
            label_turn(con, 10**9, "ana", "chosen", 0, "bad")
        assert turn_labels(con, [pid])[pid] == [
            {"side": "chosen", "message": first, "label": "bad", "reason": "the wrong id", "annotator": "ana"},
            {"side": "rejected", "message": last, "label": "good", "reason": None, "annotator": "ben"},
        ]
        for k in range(required):  # the annotators prefer the machine's rejected side: the export swaps the sides
            label_pair(con, pid, f"swap-{k}", "rejected")
        exported = [t for r in mdpo_rows(con) for t in r["turns"] if t["turn_labels"]]
    assert len(exported) == 1
    turn = exported[0]
    assert turn["turn_labels"] == [
        {"side": "rejected", "message": first, "label": "bad", "reason": "the wrong id", "annotator": "ana"},
        {"side": "chosen", "message": last, "label": "good", "reason": None, "annotator": "ben"},
    ]
    assert turn["rejected"][first]["role"] == "assistant" and turn["chosen"][last]["role"] == "assistant"
    assert turn["chosen"][last]["content"] == pair["rejected"][last]["content"]  # the mark followed its message

    done = run_cli(
        "pairs",
        "label",
        str(pid),
        "bad",
        "--turn",
        f"rejected:{last}",
        "--annotator",
        "cai",
        "--note",
        "vague",
        workspace=paired.path,
    )
    assert done.returncode == 0, done.stderr
    refused = run_cli(
        "pairs", "label", str(pid), "bad", "--turn", f"rejected:{tool_at}", "--annotator", "cai", workspace=paired.path
    )
    assert refused.returncode != 0 and "not an assistant turn" in refused.stderr + refused.stdout
    with paired.connect() as con:
        assert {
            "side": "rejected",
            "message": last,
            "label": "bad",
            "reason": "vague",
            "annotator": "cai",
        } in turn_labels(con, [pid])[pid]
