"""BFCL v4's agentic categories on real slices (tests/fixtures/outside/bfcl_v4/): memory (one task per backend,
chained after the prerequisite conversations), web search (with and without snippets), format_sensitivity skipped
with its reason, and a class BFCL does not document left out while the rest imports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from fcstudio.catalog.formats import FormatError, get_reader
from fcstudio.catalog.ingest import import_files
from fcstudio.store import Workspace, scalar

V4 = FIXTURES / "outside" / "bfcl_v4"
read = get_reader("bfcl")


def test_memory_questions_become_one_task_per_backend_after_their_prerequisites() -> None:
    batch, _ = read(str(V4 / "BFCL_v4_memory.json"))
    assert batch.warnings == []
    by_category: dict[str, list] = {}
    for t in batch.tasks:
        by_category.setdefault(t.category, []).append(t)
    # 3 questions and 2 prerequisite conversations, for each of the 3 backends
    assert {c: len(ts) for c, ts in by_category.items()} == {
        "memory_kv_prereq": 2,
        "memory_kv": 3,
        "memory_vector_prereq": 2,
        "memory_vector": 3,
        "memory_rec_sum_prereq": 2,
        "memory_rec_sum": 3,
    }
    kv = next(t for t in batch.tasks if t.source_ref == "memory_kv_0-customer-0")
    assert kv.domain == "MemoryAPI_kv" and kv.meta["question_id"] == "memory_0-customer-0"
    assert kv.meta["ground_truth"] == ["Michael"] and kv.gold == []  # a final answer, not calls
    assert kv.meta["depends_on"] == ["memory_kv_prereq_0-customer-0", "memory_kv_prereq_1-customer-1"]
    assert len(kv.tools) == 15 and {"archival_memory_add", "archival_memory_key_search"} <= {t.name for t in kv.tools}
    add = next(t for t in kv.tools if t.name == "archival_memory_add")
    assert add.parameters["type"] == "object" and set(add.parameters.get("required", [])) <= set(
        add.parameters["properties"]
    )
    assert add.labels == ["bfcl:MemoryAPI_kv"]
    vector = next(t for t in batch.tasks if t.source_ref == "memory_vector_0-customer-0")
    assert len(vector.tools) == 12 and "archival_memory_retrieve" in {t.name for t in vector.tools}
    prereq = next(t for t in batch.tasks if t.source_ref == "memory_kv_prereq_1-customer-1")
    assert prereq.meta["memory_prereq"] is True and prereq.meta["depends_on"] == ["memory_kv_prereq_0-customer-0"]
    assert prereq.turns and prereq.turns[0][0].role == "user"


def test_web_search_questions_run_with_and_without_snippets() -> None:
    batch, _ = read(str(V4 / "BFCL_v4_web_search.json"))
    assert [t.source_ref for t in batch.tasks] == [
        "web_search_base_0",
        "web_search_base_1",
        "web_search_base_2",
        "web_search_no_snippet_0",
        "web_search_no_snippet_1",
        "web_search_no_snippet_2",
    ]
    base, bare = batch.tasks[1], batch.tasks[4]
    assert base.meta["initial_config"] == {"WebSearchAPI": {"show_snippet": True}}
    assert bare.meta["initial_config"] == {"WebSearchAPI": {"show_snippet": False}}
    assert base.meta["ground_truth"] == bare.meta["ground_truth"] == ["7", "seven"] and base.meta["num_hops"] == 4
    assert [t.name for t in base.tools] == ["search_engine_query", "fetch_url_content"]
    query = base.tools[0]
    assert "keywords" in query.parameters["properties"] and query.labels == ["bfcl:WebSearchAPI"]


def test_format_sensitivity_is_skipped_with_its_reason() -> None:
    batch, _ = read(str(V4 / "BFCL_v4_format_sensitivity.json"))
    assert batch.tasks == [] and batch.tools == []
    [warning] = batch.warnings
    assert "format_sensitivity skipped: the file holds no questions, only the ids of 200 entries" in warning
    assert "simple_python" in warning


def test_a_folder_of_v4_files_imports_and_says_what_it_skipped(ws: Workspace) -> None:
    files = [V4 / "BFCL_v4_memory.json", V4 / "BFCL_v4_web_search.json", V4 / "BFCL_v4_format_sensitivity.json"]
    result = run_cli("import", "bfcl", *map(str, files), workspace=ws.path)
    assert result.returncode == 0, result.stderr
    assert "format_sensitivity skipped" in result.stdout
    with ws.connect() as con:
        assert scalar(con, "SELECT count(*) FROM tasks") == 21
        assert scalar(con, "SELECT count(DISTINCT category) FROM tasks") == 8


def test_an_unknown_class_is_left_out_and_the_rest_imports(tmp_path: Path, ws: Workspace) -> None:
    folder = tmp_path / "bfcl"
    shutil.copytree(V4, folder)
    lines = (folder / "BFCL_v4_web_search.json").read_text(encoding="utf-8").splitlines()
    odd = json.loads(lines[1])
    odd["involved_classes"] = ["CalendarAPI"]
    lines[1] = json.dumps(odd)
    (folder / "BFCL_v4_web_search.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with ws.connect() as con:
        [result] = import_files(con, "bfcl", [folder / "BFCL_v4_web_search.json"])
    assert result.tasks_added == 4  # web_search_1 left out in both variants
    [warning] = [w for w in result.warnings if "CalendarAPI" in w]
    assert "BFCL_v4_web_search.json:2 (record web_search_1): unknown multi-turn class 'CalendarAPI'" in warning
    assert warning.endswith("left out")


def test_missing_prerequisites_are_named_and_the_questions_still_import(tmp_path: Path) -> None:
    folder = tmp_path / "bfcl"
    shutil.copytree(V4, folder)
    shutil.rmtree(folder / "memory_prereq_conversation")
    batch, _ = read(str(folder / "BFCL_v4_memory.json"))
    assert len(batch.tasks) == 9 and all("depends_on" not in t.meta for t in batch.tasks)
    [warning] = batch.warnings
    assert "memory scenario 'customer'" in warning and "memory_customer.json not found" in warning


def test_a_prerequisite_file_alone_says_which_file_reads_it() -> None:
    with pytest.raises(FormatError, match=r"a memory prerequisite conversation file: import BFCL_v4_memory\.json"):
        read(str(V4 / "memory_prereq_conversation" / "memory_customer.json"))


def test_missing_class_docs_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "bfcl"
    shutil.copytree(V4, folder)
    (folder / "multi_turn_func_doc" / "web_search.json").unlink()
    with pytest.raises(FormatError, match=r"web_search\.json"):
        read(str(folder / "BFCL_v4_web_search.json"))
