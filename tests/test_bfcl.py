"""BFCL's AST checker: real BFCL v4 cases (gold valid, perturbations invalid with BFCL's error), the
semantics one rule at a time, the ``bfcl check`` CLI, and the BFCL runner against a local server."""

from __future__ import annotations

import copy
import gzip
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from bfcl_cases import perturbations, reference_outputs, sound
from openai_stub import StubServer

from conftest import run_cli, shared_path, write_jsonl
from fcstudio.evals import eval_store
from fcstudio.evals.bfcl import check
from fcstudio.evals.bfcl_data import SINGLE_TURN, gold_output, load_cases
from fcstudio.evals.bfcl_run import run_bfcl
from fcstudio.llm import LLMConfig
from fcstudio.store import Workspace


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return load_cases(shared_path("bfcl_v4"))


def test_every_single_turn_category_is_loaded(cases: list[dict]) -> None:
    counts = Counter(c["category"] for c in cases)
    assert set(counts) == set(SINGLE_TURN)
    assert counts["simple_python"] == 400 and counts["simple_java"] == 100 and counts["live_multiple"] == 1053


def test_gold_answers_are_valid(cases: list[dict]) -> None:
    unsound = [c["id"] for c in cases if not sound(c)]
    assert len(unsound) == 9, unsound  # BFCL v4 answers its own checker cannot pass (DEVELOPERS.md)
    failures = []
    for c in cases:
        if sound(c):
            v = check(c["functions"], c["possible_answer"], gold_output(c), c["category"], c["language"])
            if not v.valid:
                failures.append((c["id"], v.error, v.detail))
    assert not failures, failures[:5]


def test_perturbed_answers_get_bfcls_error(cases: list[dict]) -> None:
    rng = random.Random(0)
    seen: Counter[str] = Counter()
    wrong = []
    for c in cases:
        if not sound(c):
            continue
        for name, output, expected in perturbations(c, rng):
            v = check(c["functions"], c["possible_answer"], output, c["category"], c["language"])
            got = None if v.valid else v.error
            seen[name] += 1
            if got != expected:
                wrong.append((c["id"], name, expected, got, v.detail))
    assert not wrong, wrong[:5]
    common = ["wrong_name", "other_function", "extra_param", "declared_not_in_gold", "drop_required"]
    common += ["drop_needed_optional", "drop_optional", "wrong_string", "string_normalised", "number_as_text"]
    common += ["wrong_number", "bool_flipped", "other_allowed_value", "list_item_added", "list_item_wrong_type"]
    common += ["shuffled", "duplicate_call", "one_call_too_few", "calls_anyway", "no_call", "value_not_text"]
    assert all(seen[name] > 10 for name in common), seen
    rare = ["number_as_word", "long_without_suffix", "int_for_float", "list_ints_for_floats", "list_reversed"]
    rare += ["dict_extra_key", "dict_wrong_value", "dict_missing_key", "list_of_dicts_one_more", "only_optional_given"]
    assert all(seen[name] >= 1 for name in rare), seen


REFERENCE = Path(__file__).parent / "fixtures" / "bfcl_reference_verdicts.json.gz"
# Cases where fcstudio knowingly gives another verdict than bfcl-eval: fixture id -> reason. None at present.
REFERENCE_ALLOWED: dict[str, str] = {}


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(gzip.decompress(REFERENCE.read_bytes()))


def _reference_records(reference: dict, cases: list[dict]) -> list[tuple[dict, dict]]:
    """(record, case) for every fixture record; a BFCL case is found by (category, entry id)."""
    by_entry = {(c["category"], c["id"]): c for c in cases}
    return [(r, by_entry[(r["category"], r["entry"])]) for r in reference["cases"]] + [
        (r, r) for r in reference["synthetic"]
    ]


def test_verdicts_equal_bfcl_evals_own(reference: dict, cases: list[dict]) -> None:
    """bfcl-eval's own evaluator scored these outputs (tools/make_bfcl_reference.py); ours must agree on the
    verdict and on BFCL's error type, case for case."""
    assert reference["bfcl_eval"] == "2026.3.23" and reference["command"] == "python tools/make_bfcl_reference.py"
    differ, seen = [], Counter()
    for record, case in _reference_records(reference, cases):
        v = check(
            case["functions"], case["possible_answer"], record["model_output"], case["category"], case["language"]
        )
        want = (record["verdict"]["valid"], record["verdict"]["error_type"])
        seen[want[1] or "valid"] += 1
        if (v.valid, None if v.valid else v.error) != want and record["id"] not in REFERENCE_ALLOWED:
            differ.append((record["id"], want, (v.valid, v.error), v.detail))
    assert not differ, f"{len(differ)} verdicts differ from bfcl-eval's, e.g. {differ[:5]}"
    # the fixture reaches every error type the single-turn checker can give on these cases
    assert len(seen) == 24 and min(seen.values()) >= 1, seen
    for error in ("type_error:java", "type_error:js", "type_error:nested", "dict_checker:unclear"):
        assert seen[error] >= 1, seen
    assert set(REFERENCE_ALLOWED) <= {r["id"] for r, _ in _reference_records(reference, cases)}


def test_reference_fixture_covers_the_data_and_the_current_perturbations(reference: dict, cases: list[dict]) -> None:
    """Every single-turn BFCL entry is in the fixture, with exactly the outputs bfcl_cases makes today: a
    change to the perturbations (or to the data) needs the fixture regenerated, or this fails."""
    records = reference["cases"] + reference["synthetic"]
    assert {r["category"] for r in reference["cases"]} == set(SINGLE_TURN)
    assert {(r["category"], r["entry"]) for r in reference["cases"] if r["id"].endswith(":gold")} == {
        (c["category"], c["id"]) for c in cases
    }
    expected = [(f"{c['id']}:{name}", json.loads(json.dumps(out))) for c, name, out in reference_outputs(cases)]
    assert [(r["id"], r["model_output"]) for r in records] == expected
    assert REFERENCE.stat().st_size < 2_000_000


FLOAT_DOC = {
    "name": "area",
    "parameters": {
        "type": "dict",
        "properties": {
            "radius": {"type": "float"},
            "unit": {"type": "string"},
            "count": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["radius"],
    },
}
GOLD = [{"area": {"radius": [5.0], "unit": ["cm", ""], "count": [1, ""], "tags": [["a b", "c"], ""]}}]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"radius": 5}, None),  # Python takes an int for a float
        ({"radius": 5.0, "unit": "CM"}, None),  # strings compare case-insensitively
        ({"radius": 5.0, "tags": ["A-B", "c"]}, None),  # list items are normalised too
        ({"radius": 5.0, "tags": ["c", "a b"]}, "value_error:list/tuple"),  # but keep their order
        ({"radius": 5.0, "count": True}, "type_error:simple"),  # a bool is not an integer
        ({"radius": "5"}, "type_error:simple"),
        ({"radius": 6.0}, "value_error:others"),
        ({"unit": "cm"}, "simple_function_checker:missing_required"),
        ({"radius": 5.0, "colour": "red"}, "simple_function_checker:unexpected_param"),
        # an optional list's "" answer passes BFCL's item type check, so the value check reports it
        ({"radius": 5.0, "tags": [1, 2]}, "value_error:list/tuple"),
    ],
)
def test_python_rules(args: dict, error: str | None) -> None:
    v = check([FLOAT_DOC], GOLD, [{"area": args}], "simple_python", "python")
    assert (v.valid, v.error) == (error is None, error)


def test_nested_item_types() -> None:
    gold = [{"area": {"radius": [5.0], "tags": [["a b", "c"]]}}]
    v = check([FLOAT_DOC], gold, [{"area": {"radius": 5.0, "tags": [1, 2]}}], "simple_python", "python")
    assert v.error == "type_error:nested"


def test_parallel_order_and_counts() -> None:
    gold = [{"area": {"radius": [1.0]}}, {"area": {"radius": [2.0]}}]
    both = [{"area": {"radius": 2.0}}, {"area": {"radius": 1.0}}]
    assert check([FLOAT_DOC], gold, both, "parallel", "python").valid
    assert (
        check([FLOAT_DOC], gold, both[:1], "parallel", "python").error
        == "parallel_function_checker_no_order:wrong_count"
    )
    dup = [{"area": {"radius": 2.0}}, {"area": {"radius": 2.0}}]
    assert (
        check([FLOAT_DOC], gold, dup, "parallel", "python").error
        == "parallel_function_checker_no_order:cannot_find_match"
    )


def test_java_and_javascript_source_text() -> None:
    java = {
        "name": "Db.fetch",
        "parameters": {
            "type": "dict",
            "properties": {
                "id": {"type": "long"},
                "ratio": {"type": "float"},
                "ids": {"type": "ArrayList", "items": {"type": "String"}},
                "opts": {"type": "HashMap"},
            },
            "required": ["id"],
        },
    }
    gold = [{"Db.fetch": {"id": [42], "ratio": [0.5, ""], "ids": [["a", "b"], ""], "opts": [{"k": ["v"]}, ""]}}]
    ok = {
        "id": "42L",
        "ratio": "0.5f",
        "ids": 'new ArrayList<>(Arrays.asList("a", "b"))',
        "opts": 'new HashMap<String, String>() {{ put("k", "v"); }}',
    }
    assert check([java], gold, [{"Db.fetch": ok}], "simple_java", "java").valid
    assert check([java], gold, [{"Db.fetch": {"id": "42"}}], "simple_java", "java").error == "type_error:simple"  # no L
    assert check([java], gold, [{"Db.fetch": {"id": 42}}], "simple_java", "java").error == "type_error:java"
    js = {
        "name": "go",
        "parameters": {
            "type": "dict",
            "properties": {
                "n": {"type": "Bigint"},
                "xs": {"type": "array", "items": {"type": "float"}},
                "on": {"type": "Boolean"},
            },
            "required": ["n"],
        },
    }
    gold_js = [{"go": {"n": [7], "xs": [[1.5, 2.0], ""], "on": [True, ""]}}]
    assert check(
        [js], gold_js, [{"go": {"n": "7n", "xs": "[1.5, 2]", "on": "true"}}], "simple_javascript", "javascript"
    ).valid
    assert (
        check([js], gold_js, [{"go": {"n": "7", "on": "true"}}], "simple_javascript", "javascript").error
        == "type_error:simple"
    )


def test_check_cli(tmp_path: Path, cases: list[dict]) -> None:
    picked = [
        c
        for c in cases
        if c["category"] in ("simple_java", "simple_javascript", "parallel_multiple", "live_irrelevance")
    ][::40]
    lines, expected = [], {}
    for i, c in enumerate(picked):
        output = gold_output(c)
        if i % 2 and output and "relevance" not in c["category"]:
            output = copy.deepcopy(output)
            name = next(iter(output[0]))
            output[0] = {name + "_x": output[0][name]}
        lines.append(
            {
                **{k: c[k] for k in ("id", "category", "language", "functions", "possible_answer")},
                "model_output": output,
                "question": "ignored",
            }
        )
        expected[c["id"]] = check(c["functions"], c["possible_answer"], output, c["category"], c["language"])
    path = write_jsonl(tmp_path / "cases.jsonl", lines)
    proc = run_cli("bfcl", "check", str(path))
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [g["id"] for g in got] == [c["id"] for c in picked]
    for g in got:
        assert set(g) == {"id", "valid", "error"}
        assert (g["valid"], g["error"]) == (expected[g["id"]].valid, expected[g["id"]].error)
    assert any(g["valid"] for g in got) and any(not g["valid"] for g in got)
    out = tmp_path / "out" / "verdicts.jsonl"
    assert run_cli("bfcl", "check", str(path), "--out", str(out), "--detail").returncode == 0
    assert all("detail" in json.loads(line) for line in out.read_text().splitlines())
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(lines[0]) + "\n" + json.dumps({"id": "x", "category": "simple"}) + "\n")
    proc = run_cli("bfcl", "check", str(bad))
    assert proc.returncode == 1 and f"{bad}:2" in proc.stderr and "functions" in proc.stderr and not proc.stdout


def test_bfcl_runner_scores_a_model(tmp_path: Path, cases: list[dict], monkeypatch: pytest.MonkeyPatch) -> None:
    root = shared_path("bfcl_v4")
    wanted = {c["id"]: c for c in load_cases(root, ["simple_python", "parallel", "irrelevance"], limit=4)}

    def respond(body: dict) -> object:
        question = body["messages"][-1]["content"]
        case = next(c for c in wanted.values() if c["question"][0][-1]["content"] == question)
        if case["category"] == "irrelevance" or case["id"].endswith("_3"):
            return "I cannot do that with these functions."
        names = {t["function"]["name"].replace("_", "."): t["function"]["name"] for t in body["tools"]}
        calls = []
        for i, call in enumerate(gold_output(case)):
            name, args = next(iter(call.items()))
            calls.append(
                {
                    "id": f"c{i}",
                    "type": "function",
                    "function": {"name": names.get(name, name.replace(".", "_")), "arguments": json.dumps(args)},
                }
            )
        return {"role": "assistant", "content": None, "tool_calls": calls}

    monkeypatch.setenv("FCSTUDIO_TEST_KEY", "x")
    ws = Workspace(tmp_path / "ws.duckdb")
    with StubServer(respond=respond) as stub, ws.connect() as con:
        config = LLMConfig(model="m", base_url=stub.base_url, api_key_env="FCSTUDIO_TEST_KEY", concurrency=4)
        summary = run_bfcl(con, root, config, categories=["simple_python", "parallel", "irrelevance"], limit=4)
        assert summary.cases == 12
        # the 4th case of each AST category gets no call (wrong); irrelevance wants none (right)
        assert summary.accuracy["simple_python"] == 0.75 and summary.accuracy["parallel"] == 0.75
        assert summary.accuracy["irrelevance"] == 1.0
        board = eval_store.leaderboard(con, "bfcl-v4", "", "simple_python")
        assert board[0]["value"] == 0.75 and board[0]["episodes"] == 12
        failed = eval_store.list_episodes(con, run_id=summary.run_id, outcome="failed")
        assert {e["task_id"] for e in failed} == {"simple_python_3", "parallel_3"}
