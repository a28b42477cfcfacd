"""Every importer on real or realistic files: what lands in the workspace, and that it is valid."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator

from conftest import FIXTURES, workspace_counts
from fcstudio import store
from fcstudio.formats import bfcl as bfcl_format
from fcstudio.ingest import import_files
from fcstudio.store import Workspace


def _all_tool_schemas_valid(con) -> int:
    n = 0
    for params, returns in store.run(con, "SELECT parameters, returns FROM tools"):
        Draft202012Validator.check_schema(json.loads(params))
        if returns:
            Draft202012Validator.check_schema(json.loads(returns))
        n += 1
    return n


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def test_bfcl_every_file_in_the_public_set(ws: Workspace, shared_data: Path) -> None:
    folder = shared_data / "bfcl_v4"
    files = sorted(folder.glob("BFCL_v4_*.json"))
    assert len(files) == 17
    with ws.connect() as con:
        results = import_files(con, "bfcl", files)
        assert all(not r.skipped for r in results)
        for path, result in zip(files, results, strict=True):
            category = bfcl_format.category_of(str(path), None)
            assert result.tasks_added == _lines(path), path.name
            n_rows = store.scalar(con, "SELECT count(*) FROM tasks WHERE category = ?", [category])
            assert n_rows == _lines(path)
            answers = folder / "possible_answer" / path.name
            with_gold = store.scalar(
                con, "SELECT count(*) FROM tasks WHERE category = ? AND json_array_length(gold) > 0", [category]
            )
            if answers.exists():
                # every question whose answer lists calls has gold attached
                expected = sum(1 for line in answers.read_text().splitlines() if json.loads(line)["ground_truth"])
                assert with_gold == expected, path.name
            else:
                assert with_gold == 0
        assert _all_tool_schemas_valid(con) > 3000

        # a single-turn answer keeps BFCL's allowed values per parameter ("" = optional)
        gold = json.loads(store.scalar(con, "SELECT gold FROM tasks WHERE source_ref = 'simple_python_0'"))
        assert gold[0]["name"] and gold[0]["alternatives"]
        # multi-turn: docs from multi_turn_func_doc, gold calls parsed per turn, positional args named
        row = store.rows(
            con, "SELECT gold, meta, len(tool_ids) AS n FROM tasks WHERE source_ref = 'multi_turn_base_0'"
        )[0]
        calls = json.loads(row["gold"])
        assert calls[0] == {
            "name": "cd",
            "arguments": {"folder": "document"},
            "turn": 0,
            "raw": "cd(folder='document')",
        }
        sort_call = next(c for c in calls if c["name"] == "sort")
        assert sort_call["arguments"] == {"file_name": "final_report.pdf"} and sort_call["turn"] == 2
        assert row["n"] > 20 and json.loads(row["meta"])["involved_classes"] == ["TwitterAPI", "GorillaFileSystem"]
        miss = json.loads(store.scalar(con, "SELECT meta FROM tasks WHERE source_ref = 'multi_turn_miss_func_0'"))
        assert miss["missed_function"] == {"3": ["sort"]}
        # Java parameters are source text with their Java type kept
        java = store.scalar(con, "SELECT parameters FROM tools WHERE name = 'GeometryPresentation.createPresentation'")
        assert json.loads(java)["properties"]["controller"]["x-original-type"] == "java:any"
        assert (
            store.scalar(
                con, "SELECT count(*) FROM tasks WHERE category = 'irrelevance' AND meta->>'expects_no_call' = 'true'"
            )
            == 240
        )


def test_bfcl_multi_turn_needs_its_function_docs(tmp_path: Path, ws: Workspace, shared_data: Path) -> None:
    src = shared_data / "bfcl_v4" / "BFCL_v4_multi_turn_base.json"
    lonely = tmp_path / src.name
    lonely.write_text(src.read_text().splitlines()[0] + "\n")
    with ws.connect() as con, pytest.raises(Exception, match=r"BFCL_v4_multi_turn_base.json:1 .*multi_turn_func_doc"):
        import_files(con, "bfcl", [lonely])


def test_toolalpaca_real_eval_sets(ws: Workspace, shared_data: Path) -> None:
    files = sorted((shared_data / "toolalpaca").glob("*.json"))
    with ws.connect() as con:
        results = import_files(con, "toolalpaca", files)
        expected_tasks = sum(len(api["Instructions"]) for f in files for api in json.loads(f.read_text()))
        assert sum(r.tasks_added for r in results) == expected_tasks
        assert _all_tool_schemas_valid(con) == 94
        tool = store.rows(con, "SELECT parameters, labels FROM tools WHERE name = 'PublicHolidayPublicHolidaysV3'")[0]
        params = json.loads(tool["parameters"])
        assert params["required"] == ["year", "countryCode"] and params["properties"]["year"]["type"] == "integer"
        assert tool["labels"] == ["Calendar"]
        # inputs that refer to earlier outputs are kept verbatim, not dropped
        raw = store.scalar(
            con, "SELECT count(*) FROM tasks, unnest(CAST(gold AS JSON[])) AS g(x) WHERE x->>'raw' IS NOT NULL"
        )
        assert raw == 36
        assert any("refer to earlier outputs" in w for r in results for w in r.warnings)


@pytest.mark.parametrize("layout", ["jsonl", "json", "parquet"])
def test_xlam_layouts(tmp_path: Path, ws: Workspace, layout: str) -> None:
    rows = [json.loads(line) for line in (FIXTURES / "xlam" / "xlam_sample.jsonl").read_text().splitlines()]
    if layout == "jsonl":
        path = FIXTURES / "xlam" / "xlam_sample.jsonl"
    elif layout == "json":
        path = tmp_path / "xlam.json"
        path.write_text(json.dumps(rows, indent=2))
    else:
        path = tmp_path / "xlam.parquet"
        flat = [
            {
                **r,
                "tools": json.dumps(r["tools"]) if not isinstance(r["tools"], str) else r["tools"],
                "answers": json.dumps(r["answers"]) if not isinstance(r["answers"], str) else r["answers"],
            }
            for r in rows
        ]
        pq.write_table(pa.Table.from_pylist(flat), path)
    with ws.connect() as con:
        [result] = import_files(con, "xlam", [path])
        assert result.trajectories_added == 2 and result.tools_added == 3
        messages = json.loads(store.scalar(con, "SELECT messages FROM trajectories WHERE source_ref LIKE '%:1'"))
        assert messages[0] == {"role": "user", "content": rows[1]["query"]}
        calls = messages[1]["tool_calls"]
        assert [c["function"]["name"] for c in calls] == ["add", "average"]
        assert json.loads(calls[1]["function"]["arguments"]) == {"numbers": [1, 2.5, 3]}
        avg = json.loads(store.scalar(con, "SELECT parameters FROM tools WHERE name = 'average'"))
        assert avg["properties"]["numbers"] == {"type": "array", "items": {"type": "number"}, "description": "Numbers."}
        assert avg["required"] == ["numbers"]  # "int, optional" is not required
        giveaway = json.loads(store.scalar(con, "SELECT parameters FROM tools WHERE name = 'live_giveaways_by_type'"))
        assert "required" not in giveaway  # has a default
        assert _all_tool_schemas_valid(con) == 3


def test_toolbench_tools_and_queries(ws: Workspace) -> None:
    tool_file = FIXTURES / "toolbench" / "tools" / "Weather" / "open_weather_2_0.json"
    query_file = FIXTURES / "toolbench" / "instruction" / "G1_query.json"
    with ws.connect() as con:
        results = import_files(con, "toolbench", [tool_file, query_file])
        assert results[0].tools_added == 2 and results[1].tasks_added == 2
        tool_id = store.scalar(
            con,
            "SELECT id FROM tools WHERE name = 'current_weather_data_for_open_weather_2_0' AND import_id = ?",
            [results[0].import_id],
        )
        tool = store.get_tool(con, tool_id)
        assert tool["parameters"]["required"] == ["q"]
        assert tool["parameters"]["properties"]["date"] == {"type": "string", "format": "date", "description": "Day"}
        assert tool["labels"] == ["Weather"]
        gold = json.loads(store.scalar(con, "SELECT gold FROM tasks WHERE source_ref = '88'"))
        assert [g["name"] for g in gold] == [
            "current_weather_data_for_open_weather_2_0",
            "_5_day_3_hour_forecast_for_open_weather_2_0",
        ]
        assert _all_tool_schemas_valid(con) >= 2


def test_apibench_rows(ws: Workspace) -> None:
    with ws.connect() as con:
        [result] = import_files(con, "apibench", [FIXTURES / "apibench" / "huggingface_train.json"])
        assert result.trajectories_added == 4 and result.tools_added == 4
        messages = json.loads(store.scalar(con, "SELECT messages FROM trajectories ORDER BY id LIMIT 1"))
        assert messages[0]["content"] == "Summarise this news article for my newsletter."
        call = messages[1]["tool_calls"][0]["function"]
        assert call["name"] == "facebook_bart-large-cnn"
        assert json.loads(call["arguments"]) == {"arg0": "summarization", "model": "facebook/bart-large-cnn"}
        tf = json.loads(store.scalar(con, "SELECT parameters FROM tools WHERE name = 'ssd_mobilenet_v2'"))
        assert tf["required"] == ["handle"] and set(tf["properties"]) == {"handle", "trainable"}
        shell = json.loads(store.scalar(con, "SELECT messages FROM trajectories ORDER BY id DESC LIMIT 1"))
        assert shell[1] == {"role": "assistant", "content": "az apim product create --product-name abc"}
        assert _all_tool_schemas_valid(con) == 4


def test_openai_tools_shapes(tmp_path: Path, ws: Workspace) -> None:
    fn = {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}}
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"tools": [{"type": "function", "function": fn}]}))
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({**fn, "name": "g"}) + "\n" + json.dumps({**fn, "name": "h", "labels": ["z"]}) + "\n")
    with ws.connect() as con:
        results = import_files(con, "openai-tools", [wrapped, bare])
        assert [r.tools_added for r in results] == [1, 2]
        assert store.scalar(con, "SELECT labels FROM tools WHERE name = 'h'") == ["z"]


def test_openai_chat_round_trip_of_the_demo(ws: Workspace) -> None:
    path = Path(__file__).parent.parent / "data" / "demo" / "trajectories.jsonl"
    with ws.connect() as con:
        [result] = import_files(con, "openai-chat", [path])
        assert result.trajectories_added == _lines(path)
        first = json.loads(path.read_text().splitlines()[0])
        stored = json.loads(store.scalar(con, "SELECT messages FROM trajectories ORDER BY id LIMIT 1"))
        assert stored == first["messages"]


def test_same_file_twice_adds_nothing(ws: Workspace) -> None:
    path = FIXTURES / "xlam" / "xlam_sample.jsonl"
    with ws.connect() as con:
        import_files(con, "xlam", [path])
    before = workspace_counts(ws)
    with ws.connect() as con:
        [again] = import_files(con, "xlam", [path])
    assert again.skipped and "already imported" in again.message
    assert workspace_counts(ws) == before


def test_progress_moves_through_a_large_file(tmp_path: Path, ws: Workspace) -> None:
    row = json.loads((FIXTURES / "xlam" / "xlam_sample.jsonl").read_text().splitlines()[1])
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps({**row, "id": i}) + "\n" for i in range(10_000)))
    seen: list[float] = []
    with ws.connect() as con:
        import_files(con, "xlam", [path], progress=lambda frac, label: seen.append(frac))
    assert len(seen) >= 6 and seen == sorted(seen)
    assert 0 < seen[2] < 0.6 and seen[-1] == 1.0


def test_tau2_and_tau_bench_v1_tasks(ws: Workspace, shared_data: Path) -> None:
    files = [
        shared_data / "tau2" / "retail" / "tasks.json",
        shared_data / "tau2" / "airline" / "tasks.json",
        shared_data / "tau_bench_v1" / "historical_trajectories" / "gpt-4o-airline.json",
    ]
    with ws.connect() as con:
        results = import_files(con, "tau2-tasks", files, dataset="tau")
        assert [r.tasks_added for r in results] == [114, 50, 50]
        counts = dict(store.run(con, "SELECT benchmark || '/' || domain, count(*) FROM tasks GROUP BY 1"))
        assert counts == {"tau2/retail": 114, "tau2/airline": 50, "tau-bench/airline": 50}
        task = store.get_task(
            con,
            int(
                store.scalar(
                    con, "SELECT id FROM tasks WHERE benchmark = 'tau2' AND domain = 'retail' AND source_ref = '0'"
                )
            ),
        )
        assert task["gold"][0] == {
            "name": "find_user_id_by_name_zip",
            "arguments": {"first_name": "Yusuf", "last_name": "Rossi", "zip": "19122"},
            "turn": 0,
        }
        assert "Reason for call" in task["instruction"] and task["n_tools"] == 16
        v1 = store.get_task(
            con, int(store.scalar(con, "SELECT id FROM tasks WHERE benchmark = 'tau-bench' ORDER BY id LIMIT 1"))
        )
        assert v1["gold"][0]["name"] == "book_reservation" and v1["meta"]["user_id"] == "mia_li_3668"
        assert _all_tool_schemas_valid(con) == 28


def test_tau_tasks_bad_action_names_the_line(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "tasks.json"
    path.write_text(
        json.dumps(
            [
                {"id": "1", "evaluation_criteria": {"actions": []}},
                {"id": "2", "evaluation_criteria": {"actions": [{"name": 5}]}},
            ],
            indent=1,
        )
    )
    before = workspace_counts(ws)
    with ws.connect() as con, pytest.raises(Exception, match=r"tasks.json:8: task 2: action 0 needs a string 'name'"):
        import_files(con, "tau2-tasks", [path])
    assert workspace_counts(ws) == before
