"""``import bfcl`` on BFCL v4's agentic files (memory, web_search) and format_sensitivity, from real slices.

The slices in ``tests/fixtures/outside/bfcl_v4/`` are BFCL's own lines (see its README): three memory and three
web-search questions with their answers, two memory prerequisite conversations, the whole format_sensitivity
file and the four doc files these classes use.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from fcstudio import store
from fcstudio.catalog.formats import FormatError
from fcstudio.catalog.formats import bfcl as bfcl_format
from fcstudio.catalog.ingest import import_files
from fcstudio.store import Workspace

V4 = FIXTURES / "outside" / "bfcl_v4"
MEMORY = V4 / "BFCL_v4_memory.json"
WEB = V4 / "BFCL_v4_web_search.json"
FORMAT = V4 / "BFCL_v4_format_sensitivity.json"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _doc(file: str, name: str) -> dict:
    return next(d for d in _jsonl(V4 / "multi_turn_func_doc" / file) if d["name"] == name)


def _task(con, source_ref: str) -> dict:
    (row,) = store.rows(
        con, "SELECT category, domain, tool_ids, gold, meta, turns FROM tasks WHERE source_ref = ?", [source_ref]
    )
    tools = store.rows(
        con, "SELECT name, parameters, labels FROM tools WHERE list_contains(?, id) ORDER BY name", [row["tool_ids"]]
    )
    return {
        **row,
        "gold": json.loads(row["gold"]),
        "meta": json.loads(row["meta"]),
        "turns": json.loads(row["turns"]),
        "tools": {t["name"]: {**t, "parameters": json.loads(t["parameters"])} for t in tools},
    }


def _copy_layout(tmp_path: Path, *names: str) -> Path:
    """The slice's layout (question files named, answers, docs, prereqs) copied under ``tmp_path``."""
    root = tmp_path / "bfcl_v4"
    for sub in ("possible_answer", "multi_turn_func_doc", "memory_prereq_conversation"):
        shutil.copytree(V4 / sub, root / sub)
    for name in names:
        shutil.copy(V4 / name, root / name)
    return root


def test_memory_questions_become_one_task_per_backend_with_their_prereqs(ws: Workspace) -> None:
    questions, prereqs = _jsonl(MEMORY), _jsonl(V4 / "memory_prereq_conversation" / "memory_customer.json")
    assert [q["involved_classes"] for q in questions] == [["MemoryAPI"]] * 3  # BFCL's placeholder class
    with ws.connect() as con:
        (result,) = import_files(con, "bfcl", [MEMORY])
        assert result.tasks_added == 3 * (len(questions) + len(prereqs)) == 15 and not result.warnings
        counts = {
            r["category"]: r["count_star()"]
            for r in store.rows(con, "SELECT category, count(*) FROM tasks GROUP BY ALL")
        }
        assert counts == {
            "memory_kv": 3,
            "memory_vector": 3,
            "memory_rec_sum": 3,
            "memory_kv_prereq": 2,
            "memory_vector_prereq": 2,
            "memory_rec_sum_prereq": 2,
        }
        kv = _task(con, "memory_kv_1-customer-1")  # bfcl-eval's id for memory_1-customer-1 under memory_kv
        assert kv["category"] == "memory_kv" and kv["domain"] == "MemoryAPI_kv"
        assert kv["turns"] == questions[1]["question"]
        # the kv backend's docs are the tools, with their schema
        assert set(kv["tools"]) == {d["name"] for d in _jsonl(V4 / "multi_turn_func_doc" / "memory_kv.json")}
        add = kv["tools"]["core_memory_add"]
        doc = _doc("memory_kv.json", "core_memory_add")
        assert add["labels"] == ["bfcl:MemoryAPI_kv"]
        assert add["parameters"]["required"] == doc["parameters"]["required"] == ["key", "value"]
        assert add["parameters"]["properties"]["key"]["type"] == "string"
        # gold: BFCL's accepted final answers, not calls
        assert kv["gold"] == []
        meta = kv["meta"]
        assert meta["ground_truth"] == ["35", "thirty five"]
        assert meta["answer_source"] == _jsonl(V4 / "possible_answer" / MEMORY.name)[1]["source"]
        assert meta["question_id"] == "memory_1-customer-1" and meta["scenario"] == "customer"
        assert meta["involved_classes"] == ["MemoryAPI_kv"]
        assert meta["depends_on"] == ["memory_kv_prereq_0-customer-0", "memory_kv_prereq_1-customer-1"]
        # another backend: other docs under the same question
        rec_sum = _task(con, "memory_rec_sum_1-customer-1")
        assert set(rec_sum["tools"]) == {
            "memory_append",
            "memory_clear",
            "memory_replace",
            "memory_retrieve",
            "memory_update",
        }
        assert rec_sum["tools"]["memory_append"]["labels"] == ["bfcl:MemoryAPI_rec_sum"]
        assert rec_sum["meta"]["ground_truth"] == ["35", "thirty five"]
        # the prerequisite conversations, chained as bfcl-eval chains them
        prereq = _task(con, "memory_vector_prereq_1-customer-1")
        assert prereq["category"] == "memory_vector_prereq" and prereq["gold"] == []
        assert prereq["turns"] == prereqs[1]["question"] and len(prereq["turns"]) == 10
        assert prereq["meta"]["memory_prereq"] is True and prereq["meta"]["topic"] == prereqs[1]["topic"]
        assert prereq["meta"]["depends_on"] == ["memory_vector_prereq_0-customer-0"]
        assert "archival_memory_retrieve" in prereq["tools"] and "ground_truth" not in prereq["meta"]


def test_web_search_questions_run_with_and_without_snippets(ws: Workspace) -> None:
    with ws.connect() as con:
        (result,) = import_files(con, "bfcl", [WEB])
        assert result.tasks_added == 6 and not result.warnings
        base, bare = _task(con, "web_search_base_2"), _task(con, "web_search_no_snippet_2")
        assert base["category"] == "web_search_base" and bare["category"] == "web_search_no_snippet"
        assert base["meta"]["initial_config"] == {"WebSearchAPI": {"show_snippet": True}}
        assert bare["meta"]["initial_config"] == {"WebSearchAPI": {"show_snippet": False}}
        assert base["domain"] == "WebSearchAPI" and base["turns"] == _jsonl(WEB)[2]["question"]
        search = base["tools"]["search_engine_query"]
        doc = _doc("web_search.json", "search_engine_query")
        assert set(base["tools"]) == {"search_engine_query", "fetch_url_content"}
        assert search["labels"] == ["bfcl:WebSearchAPI"] and search["parameters"]["required"] == ["keywords"]
        assert search["parameters"]["properties"]["region"]["enum"] == doc["parameters"]["properties"]["region"]["enum"]
        assert search["parameters"]["properties"]["max_results"]["type"] == "integer"
        answer = _jsonl(V4 / "possible_answer" / WEB.name)[2]
        assert (
            base["meta"]["ground_truth"]
            == bare["meta"]["ground_truth"]
            == ["Dong-Sup Yoon", "Yoo Dong-Sup", "Yoon Dong-Sup"]
        )
        assert base["meta"]["num_hops"] == 3 and base["meta"]["answer_source"] == answer["source"]
        assert base["gold"] == []


def test_format_sensitivity_is_skipped_with_its_reason_and_the_rest_imports(ws: Workspace) -> None:
    got = run_cli("import", "bfcl", str(MEMORY), str(FORMAT), str(WEB), "--json", workspace=ws.path)
    assert got.returncode == 0, got.stderr
    run = json.loads(got.stdout)
    assert run["status"] == "done" and not run["failures"]
    by_name = {Path(r["path"]).name: r for r in run["results"]}
    skipped = by_name[FORMAT.name]
    assert skipped["tasks_added"] == 0 and skipped["tools_added"] == 0
    (warning,) = skipped["warnings"]
    assert "format_sensitivity skipped" in warning and "holds no questions" in warning
    assert "ids of 200 entries" in warning and "simple_python" in warning
    assert by_name[MEMORY.name]["tasks_added"] == 15 and by_name[WEB.name]["tasks_added"] == 6
    with ws.connect() as con:
        assert store.scalar(con, "SELECT count(*) FROM tasks") == 21
        assert store.scalar(con, "SELECT count(*) FROM tasks WHERE category LIKE 'format_sensitivity%'") == 0


def test_an_unknown_class_leaves_its_question_out_and_the_rest_imports(tmp_path: Path, ws: Workspace) -> None:
    root = _copy_layout(tmp_path)
    lines = WEB.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace('"involved_classes": ["WebSearchAPI"]', '"involved_classes": ["NoSuchAPI"]')
    (root / WEB.name).write_text("".join(lines))
    with ws.connect() as con:
        (result,) = import_files(con, "bfcl", [root / WEB.name])
        refs = [r["source_ref"] for r in store.rows(con, "SELECT source_ref FROM tasks ORDER BY id")]
    assert refs == ["web_search_base_0", "web_search_base_2", "web_search_no_snippet_0", "web_search_no_snippet_2"]
    (warning,) = result.warnings
    assert f"{WEB.name}:2 (record web_search_1)" in warning and "unknown multi-turn class 'NoSuchAPI'" in warning
    assert "left out" in warning


def test_a_missing_prereq_file_is_named_and_the_questions_import(tmp_path: Path, ws: Workspace) -> None:
    root = _copy_layout(tmp_path, MEMORY.name)
    shutil.rmtree(root / "memory_prereq_conversation")
    with ws.connect() as con:
        (result,) = import_files(con, "bfcl", [root / MEMORY.name])
        metas = [json.loads(m) for (m,) in con.execute("SELECT meta FROM tasks").fetchall()]
    assert result.tasks_added == 9 and all("depends_on" not in m for m in metas)
    (warning,) = result.warnings
    assert "memory scenario 'customer'" in warning and "memory_customer.json not found" in warning


def test_a_missing_backend_doc_is_named(tmp_path: Path, ws: Workspace) -> None:
    root = _copy_layout(tmp_path, MEMORY.name)
    (root / "multi_turn_func_doc" / "memory_vector.json").unlink()
    with ws.connect() as con:
        with pytest.raises(FormatError, match=r"BFCL_v4_memory\.json:1 .*multi_turn_func_doc/memory_vector\.json"):
            import_files(con, "bfcl", [root / MEMORY.name])
        assert store.scalar(con, "SELECT count(*) FROM tasks") == 0


def test_the_agentic_doc_files_import_alone() -> None:
    for file, cls in (("web_search.json", "WebSearchAPI"), ("memory_vector.json", "MemoryAPI_vector")):
        batch, _ = bfcl_format.read(str(V4 / "multi_turn_func_doc" / file))
        names = [d["name"] for d in _jsonl(V4 / "multi_turn_func_doc" / file)]
        assert [t.name for t in batch.tools] == names and not batch.tasks
        assert {label for t in batch.tools for label in t.labels} == {f"bfcl:{cls}"}


def test_a_prereq_file_alone_says_to_import_the_questions() -> None:
    with pytest.raises(FormatError, match=r"a memory prerequisite conversation file: import BFCL_v4_memory\.json"):
        bfcl_format.read(str(V4 / "memory_prereq_conversation" / "memory_customer.json"))


def test_bad_agentic_records_name_their_place(tmp_path: Path) -> None:
    root = _copy_layout(tmp_path, MEMORY.name)
    answers = root / "possible_answer" / MEMORY.name
    rows = _jsonl(answers)
    rows[0]["ground_truth"] = [{"name": ["Michael"]}]
    answers.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(FormatError, match=r"possible_answer/BFCL_v4_memory.json:1 .*accepted answers"):
        bfcl_format.read(str(root / MEMORY.name))
    questions = _jsonl(MEMORY)
    questions[0]["scenario"] = "../customer"
    (root / MEMORY.name).write_text("".join(json.dumps(q) + "\n" for q in questions))
    with pytest.raises(FormatError, match="'scenario' must be a plain name"):
        bfcl_format.read(str(root / MEMORY.name))


def test_ids_of_agentic_files_give_their_category() -> None:
    assert bfcl_format.category_of("x.json", "memory_0-customer-0") == "memory"
    assert bfcl_format.category_of("x.json", "live_simple_13-3-9") == "live_simple"
    assert bfcl_format.category_of("x.json", "web_search_12") == "web_search"
