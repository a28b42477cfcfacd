"""Chat datasets on real public records (tests/fixtures/outside/chat/): Hermes function-calling v1 as its publisher
quotes it, and ToolACE as converted to LLaMA-Factory's ShareGPT layout; plus ToolACE's own call syntax."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, run_cli
from fcstudio.catalog.formats import FormatError, get_reader
from fcstudio.catalog.formats.turns import python_calls
from fcstudio.store import Workspace, scalar

CHAT = FIXTURES / "outside" / "chat"
HERMES = CHAT / "hermes_fc_v1.card_examples.json"
TOOLACE = CHAT / "toolace_sharegpt_func_fixed.head3.json"


def _calls(message) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    return [(c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []]


def test_hermes_call_and_its_response() -> None:
    batch, _ = get_reader("hermes")(str(HERMES))
    assert len(batch.trajectories) == 2
    flights = batch.trajectories[0]
    assert [m.role for m in flights.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert flights.meta == {
        "id": "753d8365-0e54-43b1-9514-3f9b819fd31c",
        "category": "E-commerce Platforms",
        "subcategory": "Kayak",
        "task": "Flight Search",
    }
    [(name, args)] = _calls(flights.messages[2])
    assert name == "search_flights"
    assert args == {
        "departure_city": "Los Angeles",
        "destination_city": "Auckland",
        "departure_date": "2023-07-10",
        "return_date": "2023-07-24",
        "class": "economy",
        "flexible_cancellation": True,  # a Python literal in the data
    }
    result = flights.messages[3]
    assert result.tool_call_id == flights.messages[2].tool_calls[0].id
    assert json.loads(result.content)["name"] == "search_flights"  # the <tool_response> body, tags stripped
    [tool] = flights.tools  # from <tools> in the system turn, written as a Python literal
    assert tool.name == "search_flights"
    assert tool.parameters["required"] == [
        "departure_city",
        "destination_city",
        "departure_date",
        "return_date",
        "class",
    ]
    assert tool.parameters["properties"]["class"]["enum"] == ["economy", "business", "first"]


def test_hermes_structured_extraction_slips_are_read_and_counted() -> None:
    batch, _ = get_reader("hermes")(str(HERMES))
    extraction = batch.trajectories[1]
    [(name, args)] = _calls(extraction.messages[-1])
    assert name == "ExpertQAExtractor" and len(args["queries"]) == 3 and "name" not in args
    assert batch.warnings == [
        f"{HERMES}: 1 <tool_call>(s) wrote the function's name inside 'arguments' (record(s) "
        "afba1f0c-3212-467d-8594-d72a06da4d05); read as the call's name"
    ]


def test_toolace_as_converted_to_sharegpt() -> None:
    batch, _ = get_reader("sharegpt")(str(TOOLACE))
    assert len(batch.trajectories) == 3 and batch.warnings == []
    first = batch.trajectories[0]
    # the tools come from ToolACE's system prompt (the converted file's tools column is empty)
    assert [t.name for t in first.tools] == [
        "newAddress",
        "Market Trends API",
        "Get Futures Prices",
        "SEC Filings",
        "United States Away from Home Mobility API",
        "Calculate Sales Tax",
    ]
    trends = first.tools[1]
    assert trends.parameters["required"] == ["trend_type"]
    assert trends.parameters["properties"]["country"] == {
        "type": "string",
        "description": "The country for which to get trends, specified as a 2-letter country code - see ISO 3166.",
        "default": "us",
    }
    roles = [m.role for m in first.messages]
    assert roles[:5] == ["system", "user", "assistant", "tool", "assistant"]
    assert _calls(first.messages[2]) == [("API", {"trend_type": "MARKET_INDEXES", "country": "us"})]
    assert first.messages[3].tool_call_id == first.messages[2].tool_calls[0].id
    parallel = first.messages[-1]
    assert [n for n, _ in _calls(parallel)] == ["Filings", "API"]  # a list of calls made in parallel


def test_a_real_empty_call_turn_is_named() -> None:
    with pytest.raises(
        FormatError,
        match=r"record85\.json:2 \(record 0\): conversations\[3\] \(function_call\): an empty list of calls",
    ):
        get_reader("sharegpt")(str(CHAT / "toolace_sharegpt_func_fixed.record85.json"))


def test_cli_imports_the_real_chat_files(ws: Workspace) -> None:
    assert run_cli("import", "auto", str(HERMES), str(TOOLACE), workspace=ws.path).returncode == 0
    with ws.connect() as con:
        assert scalar(con, "SELECT count(*) FROM trajectories") == 5
        assert scalar(con, "SELECT count(*) FROM tools WHERE name = 'Market Trends API'") == 1


@pytest.mark.parametrize(
    ("text", "tool_result_follows", "expected"),
    [
        (
            '[Market Trends API(trend_type="MARKET_INDEXES", country="us")]',
            True,
            [("Market Trends API", {"trend_type": "MARKET_INDEXES", "country": "us"})],
        ),
        (
            '[SEC Filings(identifier="AAPL"), Get Futures Prices(symbol="(GC)")]',
            True,
            [("SEC Filings", {"identifier": "AAPL"}), ("Get Futures Prices", {"symbol": "(GC)"})],
        ),
        ('[Market Trends API(trend_type="X")]', False, None),  # spaced names only when a result follows
        ("[get_weather(city='Paris')]", False, [("get_weather", {"city": "Paris"})]),
        ("[not a call]", True, None),
    ],
)
def test_toolace_calls_with_spaced_names(text: str, tool_result_follows: bool, expected: list | None) -> None:
    assert python_calls(text, tool_result_follows) == expected
