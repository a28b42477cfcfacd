"""Chat datasets with tools, as people train from them: ShareGPT (Glaive / LLaMA-Factory, APIGen-MT, ToolACE),
Hermes tags, and OpenAI chat with content-part lists; real public samples in tests/fixtures/outside/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from fcstudio.catalog.formats import FormatError, get_reader
from fcstudio.catalog.ingest import import_files
from fcstudio.store import Workspace

OUTSIDE = FIXTURES / "outside"
GLAIVE = OUTSIDE / "glaive_toolcall_en_demo.head6.json"
REASON = OUTSIDE / "reason_tool_use_demo.head8.jsonl"


def _calls(message) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    return [(c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []]


def _write(tmp_path: Path, name: str, records: list[dict]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_glaive_as_llama_factory_ships_it(ws: Workspace) -> None:
    batch, _ = get_reader("sharegpt")(str(GLAIVE))
    assert len(batch.trajectories) == 6 and batch.warnings == []
    first = batch.trajectories[0]
    assert [m.role for m in first.messages] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
    ]
    call, result = first.messages[3], first.messages[4]
    assert _calls(call) == [("search_recipes", {"ingredients": ["chicken", "bell peppers", "rice"]})]
    assert result.tool_call_id == call.tool_calls[0].id and result.content.startswith('{"recipes": [')
    [tool] = first.tools
    assert tool.name == "search_recipes" and tool.parameters["required"] == ["ingredients"]
    assert tool.parameters["properties"]["ingredients"]["items"] == {"type": "string"}
    assert batch.trajectories[1].tools == []  # "tools": "[]"
    shapes = batch.trajectories[3]
    assert [n for m in shapes.messages for n, _ in _calls(m)] == ["calculate_area"] * 3
    assert {t.name for t in shapes.tools} == {"calculate_area", "calculate_discount"}
    with ws.connect() as con:
        [result] = import_files(con, "sharegpt", [GLAIVE], dataset="glaive")
        assert result.trajectories_added == 6 and result.tools_added == 3


def test_content_part_lists_reasoning_and_results_without_ids() -> None:
    batch, _ = get_reader("openai-chat")(str(REASON))
    assert len(batch.trajectories) == 8
    movie = batch.trajectories[1]
    roles = [m.role for m in movie.messages]
    assert roles[:5] == ["system", "user", "assistant", "tool", "assistant"]
    assistant = movie.messages[2]
    assert _calls(assistant) == [("get_movie_details", {"title": "Inception"})]
    assert len(assistant.model_dump()["reasoning_content"]) > 50  # the reasoning part, kept beside the content
    assert movie.messages[3].tool_call_id == assistant.tool_calls[0].id
    parallel = batch.trajectories[2]  # two calls answered by one tool message holding a list of two results
    calls = parallel.messages[2].tool_calls
    answers = [m for m in parallel.messages if m.role == "tool"][:2]
    assert [a.tool_call_id for a in answers] == [c.id for c in calls]
    assert all(json.loads(a.content)["name"] == "circle_area" for a in answers)
    # loose types ('dict', 'str') in the tools: mapped, each named in a warning
    assert movie.tools[0].parameters["type"] == "object"
    assert any("loose type name(s) mapped to JSON Schema: dict, str" in w for w in batch.warnings)
    text = batch.trajectories[0].messages[2]
    assert text.content.startswith("I'm sorry") and text.tool_calls is None


def test_toolace_layout_tools_in_the_system_prompt_and_python_style_calls(tmp_path: Path) -> None:
    tools = [{"name": "Get Weather", "description": "d", "parameters": {"type": "dict", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}}]  # fmt: skip
    record = {
        "system": "You are an expert. Here is a list of functions in JSON format that you can invoke:\n"
        + json.dumps(tools)
        + ". Should you decide to return the function call(s), put it in the format of [func1(params_name=params_value)]",
        "conversations": [
            {"from": "user", "value": "Weather in Paris and Rome for 2 days?"},
            {"from": "assistant", "value": '[Get Weather(city="Paris", days=2)]'},  # not Python: stays text
            {"from": "assistant", "value": '[get_weather(city="Paris", days=2), get_weather(city="Rome", days=2)]'},
            {"from": "tool", "value": '[{"name": "get_weather", "results": {"t": 20}}, {"name": "get_weather", "results": {"t": 25}}]'},
            {"from": "assistant", "value": "Paris 20, Rome 25. [Note: rounded]"},
        ],
    }  # fmt: skip
    batch, _ = get_reader("sharegpt")(str(_write(tmp_path, "toolace.jsonl", [record])))
    [t] = batch.trajectories
    assert [m.role for m in t.messages] == ["system", "user", "assistant", "assistant", "tool", "tool", "assistant"]
    assert t.messages[2].content.startswith("[Get Weather(") and not t.messages[2].tool_calls
    assert _calls(t.messages[3]) == [("get_weather", {"city": "Paris", "days": 2}), ("get_weather", {"city": "Rome", "days": 2})]  # fmt: skip
    assert [json.loads(m.content)["results"]["t"] for m in t.messages[4:6]] == [20, 25]
    assert t.tools[0].name == "Get Weather" and t.tools[0].parameters["type"] == "object"


def test_apigen_mt_layout_with_parallel_function_calls(tmp_path: Path) -> None:
    record = {
        "conversations": [
            {"from": "human", "value": "Cancel orders #1 and #2."},
            {"from": "function_call", "value": json.dumps([{"name": "cancel", "arguments": {"order_id": "#1"}}, {"name": "cancel", "arguments": json.dumps({"order_id": "#2"})}])},
            {"from": "observation", "value": json.dumps([{"ok": True}, {"ok": False}])},
            {"from": "gpt", "value": "Done for #1; #2 could not be cancelled."},
        ],
        "tools": json.dumps([{"name": "cancel", "description": "c", "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}]),
        "system": "You are a retail agent.",
    }  # fmt: skip
    batch, _ = get_reader("sharegpt")(str(_write(tmp_path, "apigen.jsonl", [record])))
    [t] = batch.trajectories
    assert [m.role for m in t.messages] == ["system", "user", "assistant", "tool", "tool", "assistant"]
    assert _calls(t.messages[2]) == [("cancel", {"order_id": "#1"}), ("cancel", {"order_id": "#2"})]
    assert [m.content for m in t.messages[3:5]] == ['{"ok": true}', '{"ok": false}']


def test_hermes_tags(tmp_path: Path) -> None:
    tools = "[{'type': 'function', 'function': {'name': 'get_stock_fundamentals', 'description': 'd', 'parameters': {'type': 'object', 'properties': {'symbol': {'type': 'string'}}, 'required': ['symbol']}}}]"  # fmt: skip
    record = {
        "id": "f37cd",
        "conversations": [
            {"from": "system", "value": f"You are a function calling AI model. <tools>\n{tools}\n</tools> Use them."},
            {"from": "human", "value": "Fundamentals for TSLA and AAPL?"},
            {"from": "gpt", "value": "Let me look.\n<tool_call>\n{'arguments': {'symbol': 'TSLA'}, 'name': 'get_stock_fundamentals'}\n</tool_call>\n<tool_call>\n{\"name\": \"get_stock_fundamentals\", \"arguments\": {\"symbol\": \"AAPL\"}}\n</tool_call>"},
            {"from": "tool", "value": "<tool_response>\n{\"name\": \"get_stock_fundamentals\", \"content\": {\"pe\": 49.6}}\n</tool_response>\n<tool_response>\n{\"pe\": 30.1}\n</tool_response>"},
            {"from": "gpt", "value": "TSLA 49.6, AAPL 30.1."},
        ],
        "category": "Finance",
    }  # fmt: skip
    batch, _ = get_reader("hermes")(str(_write(tmp_path, "hermes.jsonl", [record])))
    [t] = batch.trajectories
    assert [m.role for m in t.messages] == ["system", "user", "assistant", "tool", "tool", "assistant"]
    assert t.messages[2].content == "Let me look."
    assert _calls(t.messages[2]) == [("get_stock_fundamentals", {"symbol": "TSLA"}), ("get_stock_fundamentals", {"symbol": "AAPL"})]  # fmt: skip
    assert [m.tool_call_id for m in t.messages[3:5]] == [c.id for c in t.messages[2].tool_calls]
    assert json.loads(t.messages[4].content) == {"pe": 30.1}
    assert t.tools[0].name == "get_stock_fundamentals" and t.meta["category"] == "Finance"


def test_bad_chat_records_name_the_place_and_the_likely_format(tmp_path: Path, ws: Workspace) -> None:
    orphan = {"conversations": [{"from": "human", "value": "hi"}, {"from": "observation", "value": "{}"}]}
    with pytest.raises(FormatError, match=r"orphan\.jsonl:1 \(record 0\): conversations\[1\] \(observation\): a tool result, but no function call"):  # fmt: skip
        get_reader("sharegpt")(str(_write(tmp_path, "orphan.jsonl", [orphan])))
    bad_call = {"conversations": [{"from": "function_call", "value": "{not json"}]}
    with pytest.raises(FormatError, match=r"conversations\[0\] \(function_call\): the call is not JSON"):
        get_reader("sharegpt")(str(_write(tmp_path, "bad_call.jsonl", [bad_call])))
    odd_role = {"conversations": [{"from": "narrator", "value": "x"}]}
    with pytest.raises(FormatError, match="unknown role"):
        get_reader("sharegpt")(str(_write(tmp_path, "odd.jsonl", [odd_role])))
    with pytest.raises(FormatError, match="looks like ShareGPT data: import it as format 'sharegpt'"):
        get_reader("openai-chat")(str(GLAIVE))
    with pytest.raises(FormatError, match=r"conversations\[3\] \(function_call\): .*format 'sharegpt'"):
        get_reader("hermes")(str(GLAIVE))
    plain = {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
    with pytest.raises(FormatError, match="not Hermes function-calling data"):
        get_reader("hermes")(str(_write(tmp_path, "plain.jsonl", [plain])))
    # nothing stored by a failed import, and the good file after it still imports
    with ws.connect() as con:
        with pytest.raises(FormatError):
            import_files(con, "sharegpt", [GLAIVE, tmp_path / "orphan.jsonl"])
        assert con.execute("SELECT count(*) FROM trajectories").fetchone()[0] == 0


def test_cli_imports_sharegpt_and_hermes(tmp_path: Path) -> None:
    workspace = tmp_path / "ws.duckdb"
    done = run_cli("import", "sharegpt", str(GLAIVE), workspace=workspace)
    assert done.returncode == 0, done.stderr
    listed = run_cli("formats")
    assert "sharegpt" in listed.stdout and "hermes" in listed.stdout


def test_openai_tools_with_loose_types_grouped_by_category_and_string_defaults(tmp_path: Path) -> None:
    grouped = {
        "retail": [
            {
                "name": "find_order",
                "description": "d",
                "parameters": {
                    "type": "dict",
                    "properties": {
                        "limit": {"type": "integer", "default": "0"},
                        "ratio": {"type": "float", "default": "1.5"},
                        "deep": {"type": "boolean", "default": "True"},
                        "code": {"type": "string", "default": "007"},
                    },
                },
            },
        ],
        "travel": [
            {"type": "function", "function": {"name": "book", "parameters": {"type": "object", "properties": {}}}}
        ],
    }
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(grouped), encoding="utf-8")
    batch, _ = get_reader("openai-tools")(str(path))
    find, book = batch.tools
    assert (find.labels, book.labels) == (["retail"], ["travel"])
    props = find.parameters["properties"]
    assert find.parameters["type"] == "object" and props["ratio"]["type"] == "number"
    assert [props[k]["default"] for k in ("limit", "ratio", "deep", "code")] == [0, 1.5, True, "007"]
    assert batch.warnings == [f"{path}:1: tool 'find_order': loose type name(s) mapped to JSON Schema: dict, float"]
