"""BFCL multi-turn: fcstudio's API classes, executor and checker against bfcl-eval's own, and the CLI.

The reference (``tests/fixtures/bfcl_multiturn_reference.json.gz``) is bfcl-eval 2026.3.23's executor and
evaluator run by ``tools/make_bfcl_multiturn_reference.py`` on every multi-turn entry of ../shared/data/bfcl_v4
and on every case ``bfcl_multiturn_cases`` builds from them (the gold answer and its perturbations).
"""

from __future__ import annotations

import copy
import gzip
import inspect
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from bfcl_multiturn_cases import cases_for, execute, one_step, turns_digests

from conftest import run_cli, shared_path
from fcstudio.envs.bfcl import calls
from fcstudio.envs.bfcl.checker import check_entry
from fcstudio.envs.bfcl.classes import CLASSES, STATELESS, api_class, func_docs
from fcstudio.envs.bfcl.entries import MULTI_TURN, load_entries
from fcstudio.envs.bfcl.replay import errors_in, replay
from fcstudio.envs.bfcl.session import Session, render
from fcstudio.envs.bfcl.state import digest, plain
from fcstudio.evals.bfcl_data import BfclDataError

# where BFCL's method takes its parameters in another order than its own function doc lists them
BFCL_ORDER = {("TravelAPI", "purchase_insurance")}
FIXTURE = Path(__file__).parent / "fixtures" / "bfcl_multiturn_reference.json.gz"


@cache
def reference() -> dict[str, Any]:
    with gzip.open(FIXTURE, "rt") as fh:
        return json.load(fh)


@cache
def entries() -> tuple[dict[str, Any], ...]:
    return tuple(load_entries(shared_path("bfcl_v4")))


def entry(entry_id: str) -> dict[str, Any]:
    return copy.deepcopy(next(e for e in entries() if e["id"] == entry_id))


# -- the API classes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_tool_is_a_method_whose_signature_matches_its_doc(name: str) -> None:
    cls = api_class(name)
    methods = {n for n, f in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}
    docs = {d["name"]: d for d in func_docs(name)}
    assert methods == set(docs), f"{name}: methods and multi_turn_func_doc differ"
    for tool, doc in docs.items():
        params = dict(inspect.signature(getattr(cls, tool)).parameters)
        params.pop("self")
        props = doc["parameters"].get("properties", {})
        if (name, tool) not in BFCL_ORDER:
            assert list(props) == [p for p in params if p in props], f"{name}.{tool}: parameter order"
        assert set(props) == set(params), f"{name}.{tool}: parameters {set(params) ^ set(props)}"
        required = {p for p, v in params.items() if v.default is inspect.Parameter.empty}
        assert required == set(doc["parameters"].get("required", [])), f"{name}.{tool}: required parameters"


def test_every_gold_entry_of_the_four_categories_executes_without_an_error() -> None:
    got = Counter(e["category"] for e in entries())
    assert got == {c: 200 for c in MULTI_TURN}
    failing = {e["id"]: errors_in(replay(e))[:1] for e in entries()}
    assert {k: v for k, v in failing.items() if v} == {}


def test_gold_results_are_byte_identical_to_bfcl() -> None:
    ref = reference()["gold"]
    differ = []
    for e in entries():
        got = replay(e)
        if [t["results"] for t in got["turns"]] != ref[e["id"]]["results"]:
            differ.append(e["id"])
        elif turns_digests(execute(e, one_step(e["ground_truth"]))) != ref[e["id"]]["digests"]:
            differ.append(f"{e['id']} (state)")
    assert differ == [], f"{len(differ)} entries differ from bfcl-eval, first {differ[:5]}"


def test_every_perturbed_case_executes_and_is_judged_as_bfcl_does() -> None:
    """Results and state per turn, and the verdict, equal bfcl-eval's on all ~9,700 cases."""
    ref = reference()["cases"]
    by_id = {e["id"]: e for e in entries()}
    cases = cases_for(list(entries()))
    assert len(cases) == len(ref)
    exec_differ, verdict_differ = [], []
    for case in cases:
        e = by_id[case["entry_id"]]
        want = ref[case["id"]]
        if turns_digests(execute(e, case["model_output"])) != want["digests"]:
            exec_differ.append(case["id"])
        v = check_entry(case["model_output"], e["ground_truth"], e)
        if (v.valid, v.error_type) != (want["verdict"]["valid"], want["verdict"]["error_type"]):
            verdict_differ.append((case["id"], v.error_type, want["verdict"]["error_type"]))
    assert exec_differ == [], f"{len(exec_differ)} cases execute differently, first {exec_differ[:5]}"
    assert verdict_differ == [], f"{len(verdict_differ)} verdicts differ, first {verdict_differ[:5]}"
    kinds = Counter(v["verdict"]["error_type"] for v in ref.values())
    assert {
        None,
        "multi_turn:instance_state_mismatch",
        "multi_turn:execution_response_mismatch",
        "multi_turn:empty_turn_model_response",
        "multi_turn:force_terminated",
    } <= set(kinds)


def test_long_context_loads_the_extended_state() -> None:
    base = Session(entry("multi_turn_base_0")["initial_config"], ["GorillaFileSystem"], long_context=False)
    long = Session(entry("multi_turn_base_0")["initial_config"], ["GorillaFileSystem"], long_context=True)
    assert len(json.dumps(plain(long.state()))) > len(json.dumps(plain(base.state()))) + 10_000
    for s in (base, long):
        s.run("cd(folder='document')")
    assert len(long.run("cat(file_name='final_report.pdf')")) > len(base.run("cat(file_name='final_report.pdf')"))


# -- call strings ----------------------------------------------------------------------------------------------
def test_call_strings_reach_only_the_environments_tools() -> None:
    s = Session({}, ["MathAPI"], long_context=False)
    assert s.run("add(a=1, b=2)") == s.run("add(1, 2)") == render(api_class("MathAPI")().add(a=1, b=2))
    # a nested call's value (a dict, as BFCL's eval would pass it) is the outer call's argument
    assert s.run("add(a=add(a=1, b=2), b=-4)") == render(api_class("MathAPI")().add(a={"result": 3}, b=-4))
    assert s.run("__import__('os')") == "Error during execution: name '__import__' is not defined"
    refused = "Error during execution: only the environment's tools can be called, by name"
    assert s.run("__import__('os').system('echo hi')") == refused
    assert s.run("add.__call__(a=1, b=2)") == refused
    assert s.run("len('abc')") == "Error during execution: name 'len' is not defined"
    assert s.run("add(a=x, b=1)") == "Error during execution: name 'x' is not defined"
    assert s.run("add.__globals__").startswith("Error during execution: Attribute expressions are not allowed")
    assert s.run("().__class__.__base__").startswith("Error during execution:")
    assert s.run("kill(pid=1)") == "Error during execution: Function call kill is not allowed."
    assert s.run("add(a=1, b=2") == "Error during execution: '(' was never closed (<string>, line 1)"
    assert s.run("add(a=1, c=2)") == "Error during execution: MathAPI.add() got an unexpected keyword argument 'c'"
    assert calls.first_name("x.cd(folder='a.b')") == "cd"


def test_state_carries_from_turn_to_turn_and_sessions_are_independent() -> None:
    e = entry("multi_turn_base_0")
    one, two = Session.for_entry(e), Session.for_entry(e)
    assert one.run("cd(folder='document')") == '{"current_working_directory": "document"}'
    assert one.run("ls()") != two.run("ls()")
    assert one.run("mkdir(dir_name='new')") == "None"
    assert digest(one.state()) != digest(two.state())
    assert set(one.state()) == set(e["involved_classes"]) - STATELESS


# -- the checker -----------------------------------------------------------------------------------------------
def _verdict(e: dict[str, Any], output: Any) -> tuple[bool, str | None]:
    v = check_entry(output, e["ground_truth"], e)
    return v.valid, v.error_type


def test_checker_verdicts_on_built_cases() -> None:
    e = entry("multi_turn_base_0")
    gt = e["ground_truth"]
    assert _verdict(e, one_step(gt)) == (True, None)
    assert _verdict(e, [[[c] for c in t] for t in gt]) == (True, None)  # one call per step
    dropped = copy.deepcopy(gt)
    dropped[0].remove("mkdir(dir_name='temp')")
    assert _verdict(e, one_step(dropped)) == (False, "multi_turn:instance_state_mismatch")
    changed = copy.deepcopy(gt)
    changed[1][1] = "grep(file_name='final_report.pdf',pattern='revenue')"
    assert _verdict(e, one_step(changed)) == (False, "multi_turn:execution_response_mismatch")
    empty = copy.deepcopy(gt)
    empty[2] = []
    assert _verdict(e, one_step(empty)) == (False, "multi_turn:empty_turn_model_response")
    wrong_turn = copy.deepcopy(gt)
    wrong_turn[1].insert(0, wrong_turn[0].pop())  # turn 0's mv made in turn 1 instead
    assert _verdict(e, one_step(wrong_turn)) == (False, "multi_turn:instance_state_mismatch")
    assert check_entry(one_step(wrong_turn), gt, e).turn == 0
    assert _verdict(e, one_step(gt[:-1])) == (False, "multi_turn:force_terminated")
    assert _verdict(e, "not a list") == (False, "multi_turn:inference_error")
    failed = check_entry(one_step(dropped), gt, e)
    assert failed.turn == 0 and failed.details["class"] == "GorillaFileSystem"
    root = failed.plain_details()["differences"]["root"]
    assert root["model"]["__class__"] == "Directory" and root["model"] != root["ground_truth"]
    json.dumps(failed.plain_details())  # JSON-ready


def test_a_turn_whose_ground_truth_is_empty_is_not_checked() -> None:
    e = next(copy.deepcopy(x) for x in entries() if x["missed_function"] and any(not t for t in x["ground_truth"]))
    gt = e["ground_truth"]
    held = next(i for i, t in enumerate(gt) if not t)
    assert _verdict(e, one_step(gt)) == (True, None)
    out = one_step(gt)
    out[held] = []
    assert _verdict(e, out) == (True, None)  # no calls where none are due: fine


# -- the CLI ---------------------------------------------------------------------------------------------------
def test_cli_exec_writes_one_line_per_entry(tmp_path: Path) -> None:
    out = tmp_path / "exec.jsonl"
    proc = run_cli("bfcl", "exec", "--data", str(shared_path("bfcl_v4")), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 800 and set(lines[0]) == {"id", "turns"}
    assert set(lines[0]["turns"][0]) == {"calls", "results"}
    ref = reference()["gold"]
    assert all([t["results"] for t in line["turns"]] == ref[line["id"]]["results"] for line in lines)
    proc = run_cli(
        "bfcl", "exec", "--data", str(shared_path("bfcl_v4")), "--ids", "multi_turn_base_1,multi_turn_miss_func_2"
    )
    assert [json.loads(x)["id"] for x in proc.stdout.splitlines()] == ["multi_turn_base_1", "multi_turn_miss_func_2"]
    proc = run_cli("bfcl", "exec", "--data", str(shared_path("bfcl_v4")), "--ids", "nope_1")
    assert proc.returncode == 1 and "nope_1" in proc.stderr


def test_cli_check_multi_gives_bfcls_verdicts(tmp_path: Path) -> None:
    ref = reference()["cases"]
    cases = [c for c in cases_for(list(entries())) if c["entry_id"].endswith(("_0", "_7"))]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps({**c, "category": "x", "extra": 1}) + "\n" for c in cases))
    out = tmp_path / "verdicts.jsonl"
    proc = run_cli("bfcl", "check-multi", str(path), "--data", str(shared_path("bfcl_v4")), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert [g["id"] for g in got] == [c["id"] for c in cases]
    for g in got:
        assert set(g) == {"id", "valid", "error"}
        assert (g["valid"], g["error"]) == (ref[g["id"]]["verdict"]["valid"], ref[g["id"]]["verdict"]["error_type"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(cases[0]) + "\n" + json.dumps({"id": "y", "entry_id": "multi_turn_base_0"}) + "\n")
    proc = run_cli("bfcl", "check-multi", str(bad), "--data", str(shared_path("bfcl_v4")), "--out", str(out))
    assert proc.returncode == 1 and f"{bad}:2" in proc.stderr and "model_output" in proc.stderr
    assert len(out.read_text().splitlines()) == len(cases)  # the earlier output is untouched


def test_entries_name_the_place_of_a_bad_line(tmp_path: Path) -> None:
    src = shared_path("bfcl_v4")
    (tmp_path / "possible_answer").mkdir()
    lines = (src / "BFCL_v4_multi_turn_base.json").read_text().splitlines()[:3]
    broken = json.loads(lines[1])
    broken["involved_classes"] = ["NoSuchAPI"]
    (tmp_path / "BFCL_v4_multi_turn_base.json").write_text("\n".join([lines[0], json.dumps(broken), lines[2]]) + "\n")
    answers = (src / "possible_answer" / "BFCL_v4_multi_turn_base.json").read_text().splitlines()[:3]
    (tmp_path / "possible_answer" / "BFCL_v4_multi_turn_base.json").write_text("\n".join(answers) + "\n")
    with pytest.raises(BfclDataError, match=r"BFCL_v4_multi_turn_base.json:2 .*NoSuchAPI"):
        load_entries(tmp_path, ["multi_turn_base"])
    bad: list[tuple[str, str]] = []
    assert [e["id"] for e in load_entries(tmp_path, ["multi_turn_base"], bad=bad)] == [
        "multi_turn_base_0",
        "multi_turn_base_2",
    ]
    assert bad[0][0] == "multi_turn_base_1"


def test_rendering_a_long_list_reuses_its_text_only_while_it_is_unchanged() -> None:
    big = [i / 7 for i in range(600)]
    result = {"price": 1.5, "MA(5)": big, "name": "é", "n": None}
    assert render(result) == json.dumps(result)
    assert render(result) == json.dumps(result)  # from the cached text
    big[300] = -1.0
    assert render(result) == json.dumps(result)  # changed: encoded again
    assert render({1: big}) == json.dumps({1: big})  # a non-string key: json's own way
    assert render({"x": [*big, Ellipsis]}) == str({"x": [*big, Ellipsis]})  # json cannot: BFCL's str()
