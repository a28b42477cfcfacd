"""Every importer on real or realistic files: what lands in the workspace, and that it is valid."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator

from conftest import FIXTURES, workspace_counts
from fcstudio import store
from fcstudio.catalog.formats import bfcl as bfcl_format
from fcstudio.catalog.ingest import import_files
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
            "get_5_day_3_hour_forecast_for_open_weather_2_0",
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


def test_tau2_telecom_tasks_keep_who_acts(ws: Workspace, shared_data: Path) -> None:
    """Telecom's gold actions are the agent's and the user's: the requestor, the set-up and the env assertions
    are kept, and a stored task replays to tau2's end state (the gold user calls run on the phone)."""
    from fcstudio.envs.registry import open_env
    from fcstudio.envs.replay import replay_task
    from fcstudio.envs.tasks import gold_task_from_row

    with ws.connect() as con:
        [result] = import_files(con, "tau2-tasks", [shared_data / "tau2" / "telecom" / "tasks_small.json"], dataset="t")
        assert result.tasks_added == 20
        rows = store.run(con, "SELECT id FROM tasks WHERE domain = 'telecom' ORDER BY id")
        tasks = [store.get_task(con, int(r[0])) for r in rows]
    sides = {g["requestor"] for t in tasks for g in t["gold"]}
    assert sides == {"assistant", "user"}
    task = next(
        t for t in tasks if t["source_ref"] == "[mobile_data_issue]user_abroad_roaming_enabled_off[PERSONA:None]"
    )
    assert task["gold"] == [{"name": "toggle_roaming", "arguments": {}, "turn": 0, "requestor": "user"}]
    assert task["meta"]["initial_state"]["initialization_actions"][0]["func_name"] == "set_user_info"
    assert [a["func_name"] for a in task["meta"]["env_assertions"]] == [
        "assert_mobile_data_status",
        "assert_internet_speed",
    ]
    line = replay_task(open_env("telecom"), gold_task_from_row(task))
    assert line["actions"][0]["requestor"] == "user" and not line["actions"][0]["error"]
    assert all(a["met"] for a in line["env_assertions"])
    assert line["user_db_diff"]["device"]["roaming_enabled"] is True


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
            "requestor": "assistant",
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


# -- the xLAM fast path (DuckDB) against the exact reader ------------------------------------------------------
XLAM_TYPES = [
    "str",
    "int",
    "float",
    "bool",
    "List[int]",
    "List[str]",
    "Dict[str, Any]",
    "Tuple[float, float]",
    "str, optional",
    "int, optional",
    "int, default=5",
    "Optional[str]",
    "Union[int, str]",
    "Literal['a', 'b']",
    "List[List[int]]",
    "weird_type",  # unknown: a warning, kept as x-original-type
    "",
]
XLAM_TEXTS = ["café", "日本語", "emoji 😀", "tab\there", 'quote "x"', "back\\slash", "line\nbreak", "ctl\x01", "\u2028"]


def _xlam_rows(n: int, seed: int) -> list[dict]:
    """Varied xLAM rows: types, optional params, defaults, enums, empty answers, unicode, string ids, a tool
    offered twice in a row, the same tool with its keys in another order, tools/answers as JSON or strings."""
    import random

    rng = random.Random(seed)
    pool = []
    for i in range(150):
        params = {}
        for j in range(rng.randint(0, 4)):
            spec: dict = {"description": rng.choice(XLAM_TEXTS), "type": rng.choice(XLAM_TYPES)}
            r = rng.random()
            if r < 0.2:
                spec["default"] = rng.choice([None, 1, "x", 2.5, [1, 2], {"k": "v"}, True, 12345678901234567890])
            elif r < 0.3:
                spec["enum"] = ["a", "b"]
            params[f"p{j}_{rng.choice(['a', 'é', 'z'])}"] = spec
        tool: dict = {"name": f"tool_{i}", "description": rng.choice([*XLAM_TEXTS, 5, None]), "parameters": params}
        if rng.random() < 0.1:
            tool = dict(reversed(list(tool.items())))
        pool.append(tool)
    rows = []
    for i in range(n):
        tools = [rng.choice(pool) for _ in range(rng.randint(0, 4))]
        if tools and rng.random() < 0.1:
            tools.append(tools[0])
        answers = []
        for t in tools[: rng.randint(0, len(tools))]:
            args = {
                p: rng.choice([1, -0.0, 1.5e-7, 10**20, "s😀", [1, "a", None], {"n": [True]}, None])
                for p in t["parameters"]
            }
            answers.append({"name": t["name"], "arguments": args} if rng.random() < 0.9 else {"name": t["name"]})
        row = {
            "id": i if rng.random() < 0.8 else f"id-{i}-{rng.choice(XLAM_TEXTS)}",
            "query": f"{rng.choice(XLAM_TEXTS)} #{i}",
            "tools": tools,
            "answers": answers,
        }
        if rng.random() < 0.7:
            row["tools"] = json.dumps(tools, ensure_ascii=rng.random() < 0.5)
            row["answers"] = json.dumps(answers, ensure_ascii=rng.random() < 0.5)
        rows.append(row)
    return rows


def _write_xlam(tmp_path: Path, rows: list[dict], layout: str) -> Path:
    if layout == "jsonl":
        path = tmp_path / "rows.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    elif layout == "json":
        path = tmp_path / "rows.json"
        path.write_text(json.dumps(rows, indent=2))
    else:
        path = tmp_path / "rows.parquet"
        flat = [
            {
                "id": str(r["id"]),
                "query": r["query"],
                **{k: r[k] if isinstance(r[k], str) else json.dumps(r[k]) for k in ("tools", "answers")},
            }
            for r in rows
        ]
        pq.write_table(pa.Table.from_pylist(flat), path)
    return path


def _parsed_messages(text: str) -> list:
    messages = json.loads(text)
    for m in messages:
        for call in m.get("tool_calls") or []:
            call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return messages


def _workspace_rows(con) -> dict:
    """Everything an import wrote, without ids and times that differ between two runs."""
    return {
        "tools": store.rows(
            con, "SELECT id, dataset, name, description, parameters, returns, labels, source_ref FROM tools ORDER BY id"
        ),
        "trajectories": [
            {**r, "messages": _parsed_messages(r["messages"]), "meta": json.loads(r["meta"])}
            for r in store.rows(
                con, "SELECT id, source_ref, messages, tool_ids, called, meta FROM trajectories ORDER BY id"
            )
        ],
        "imports": store.rows(
            con, "SELECT dataset, format, content_hash, tools, trajectories, tasks, row_count, warnings FROM imports"
        ),
    }


def _both_ways(tmp_path: Path, path: Path) -> tuple[dict, dict]:
    """The workspace rows after importing ``path`` with the fast path and with the exact reader."""
    from fcstudio.catalog import ingest

    out = []
    for fast in (True, False):
        rows = ingest._read("xlam", "xlam", str(path), None, fast=fast)
        ws = Workspace(tmp_path / f"ws-{fast}.duckdb")
        with ws.connect() as con:
            with store.transaction(con):
                ingest._write_file(con, "xlam", "xlam", str(path), rows, [])
            out.append(_workspace_rows(con))
    return out[0], out[1]


@pytest.mark.parametrize("layout", ["jsonl", "json", "parquet"])
def test_xlam_fast_path_writes_the_exact_readers_rows(tmp_path: Path, layout: str) -> None:
    """Same tool ids and tools, same source refs / tool ids / called / warnings / row order, and messages and
    meta that parse to the same values (the fast path's JSON text is DuckDB's compact layout)."""
    from fcstudio.catalog.formats import xlam_fast
    from fcstudio.catalog.ingest import tool_id

    for rows in (
        [json.loads(line) for line in (FIXTURES / "xlam" / "xlam_sample.jsonl").read_text().splitlines()],
        _xlam_rows(2000, seed=3),
    ):
        folder = tmp_path / str(len(rows))
        folder.mkdir()
        path = _write_xlam(folder, rows, layout)
        assert xlam_fast.read(str(path), lambda t: tool_id("xlam", t)) is not None  # the fast path took it
        fast, exact = _both_ways(folder, path)
        assert fast == exact
        assert len(fast["trajectories"]) == len(rows) and fast["tools"]
    assert json.loads(fast["imports"][0]["warnings"])  # the unknown type was warned about, the same way


def test_xlam_fast_path_keeps_the_content_hash_dedupe(tmp_path: Path, ws: Workspace) -> None:
    path = _write_xlam(tmp_path, _xlam_rows(300, seed=5), "jsonl")
    with ws.connect() as con:
        [first] = import_files(con, "xlam", [path])
        [again] = import_files(con, "xlam", [path])
        assert not first.skipped and again.skipped and "already imported" in again.message
        assert first.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
        assert store.scalar(con, "SELECT count(*) FROM trajectories") == 300


@pytest.mark.parametrize(
    ("name", "row"),
    [
        ("trailing comma (Python's json refuses it)", '{"id": 1, "query": "q", "tools": "[]", "answers": "[],"}'),
        ("trailing comma in a row", '{"id": 1, "query": "q", "tools": "[]", "answers": "[]",}'),
        (
            "null arguments",
            '{"id": 1, "query": "q", "tools": "[]", "answers": "[{\\"name\\": \\"f\\", \\"arguments\\": null}]"}',
        ),
        (
            "two names",
            '{"id": 1, "query": "q", "tools": "[]", "answers": "[{\\"name\\": \\"f\\", \\"name\\": \\"g\\"}]"}',
        ),
        (
            "inf",
            '{"id": 1, "query": "q", "tools": "[]", "answers": "[{\\"name\\": \\"f\\", \\"arguments\\": {\\"x\\": inf}}]"}',
        ),
        ("float id", '{"id": 1.5, "query": "q", "tools": "[]", "answers": "[]"}'),
        ("no id", '{"query": "q", "tools": "[]", "answers": "[]"}'),
        ("query not text", '{"id": 1, "query": 5, "tools": "[]", "answers": "[]"}'),
        ("empty call name", '{"id": 1, "query": "q", "tools": "[]", "answers": "[{\\"name\\": \\"\\"}]"}'),
        ("tool without name", '{"id": 1, "query": "q", "tools": "[{\\"description\\": \\"x\\"}]", "answers": "[]"}'),
        (
            "lone surrogate in a tool",
            '{"id": 1, "query": "q", "tools": "[{\\"name\\": \\"f\\\\ud800\\"}]", "answers": "[]"}',
        ),
        ("NUL in an extra field", '{"id": 1, "query": "q", "tools": "[]", "answers": "[]", "x": "\\u0000"}'),
    ],
)
def test_xlam_fast_path_falls_back_to_the_exact_reader(tmp_path: Path, ws: Workspace, name: str, row: str) -> None:
    """Whatever DuckDB would read differently from Python, or the exact reader refuses, takes the exact way:
    the outcome (rows or the PATH:LINE error) is the exact reader's."""
    from fcstudio.catalog.formats import xlam, xlam_fast
    from fcstudio.catalog.formats.errors import FormatError
    from fcstudio.catalog.ingest import tool_id

    good = json.dumps({"id": 0, "query": "ok", "tools": "[]", "answers": "[]"})
    path = tmp_path / "rows.jsonl"
    path.write_text(good + "\n" + row + "\n")
    assert xlam_fast.read(str(path), lambda t: tool_id("xlam", t)) is None, name
    try:
        xlam.read(str(path))
    except FormatError as exc:
        expected = str(exc)
    else:
        expected = ""
    before = workspace_counts(ws)
    with ws.connect() as con:
        try:
            import_files(con, "xlam", [path])
        except FormatError as exc:
            assert str(exc) == expected and f"{path}:2" in expected
            assert workspace_counts(ws) == before
        else:
            assert not expected  # the exact reader accepts it too (a null argument value, say)


def test_generated_schemas_the_check_skips_are_valid() -> None:
    """types.known_valid is sufficient: whatever it passes, the 2020-12 meta-schema accepts."""
    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    from fcstudio.catalog.formats.types import known_valid

    values = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    keywords = st.sampled_from(
        [
            "type",
            "properties",
            "required",
            "items",
            "enum",
            "default",
            "description",
            "pattern",
            "minimum",
            "multipleOf",
            "minLength",
            "uniqueItems",
            "anyOf",
            "prefixItems",
            "additionalProperties",
            "x-original-type",
            "format",
            "examples",
            "const",
            "nullable",
            "$ref",
        ]
    )
    leaf = st.one_of(values, st.lists(values, max_size=3), st.sampled_from(["string", "object", "bogus", "("]))
    schemas = st.recursive(
        st.dictionaries(keywords, leaf, max_size=4),
        lambda inner: st.dictionaries(
            keywords,
            inner | st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2) | leaf,
            max_size=4,
        ),
        max_leaves=12,
    )

    @settings(max_examples=400, deadline=None)
    @given(schemas)
    @example({"multipleOf": 0})  # found by this test: a later keyword table entry had overridden the > 0 rule
    def check(schema: dict) -> None:
        if known_valid(schema):
            Draft202012Validator.check_schema(schema)

    check()
    assert not known_valid({"multipleOf": 0}) and known_valid({"multipleOf": 0.5})


def test_stored_schemas_are_the_same_text_in_every_process(tmp_path: Path) -> None:
    """Keyword order follows the file, not a set's order (which changes with PYTHONHASHSEED)."""
    from conftest import run_cli

    spec = {"type": "int, optional", "description": "N.", "default": 1, "enum": [1, 2], "minimum": 0, "title": "n"}
    row = {"id": 1, "query": "q", "tools": [{"name": "f", "parameters": {"n": spec}}], "answers": []}
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(row) + "\n")
    texts = []
    for seed in ("1", "2", "3", "4"):
        ws = tmp_path / f"ws{seed}.duckdb"
        result = run_cli("import", "xlam", str(path), workspace=ws, env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        with Workspace(ws).connect() as con:
            texts.append(store.scalar(con, "SELECT parameters FROM tools"))
    assert len(set(texts)) == 1 and list(json.loads(texts[0])["properties"]["n"])[1:] == [
        "description",
        "default",
        "enum",
        "minimum",
        "title",
    ]
