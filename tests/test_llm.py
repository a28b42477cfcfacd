"""The LLM client against a real local OpenAI-protocol server: retries, cache, log, bad output, accounting."""

from __future__ import annotations

import asyncio

from openai_stub import Status, StubServer

from fcstudio.jobs import start_job, update_job
from fcstudio.llm import LLMClient, LLMConfig, check_tool_calls, run_async
from fcstudio.models import ToolSpec
from fcstudio.store import rows

WEATHER = ToolSpec(
    name="get_weather",
    description="Weather for a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
        "required": ["city"],
    },
)


def _config(url: str, **kw) -> LLMConfig:
    return LLMConfig(model="stub-model", base_url=url, backoff_base=0.01, price_in=1.0, price_out=2.0, **kw)


def _once(config: LLMConfig, con, content: str):  # type: ignore[no-untyped-def]
    """One request by a fresh client, closed afterwards (its cache writes committed)."""
    client = LLMClient(config, con)
    return run_async(client.chat([{"role": "user", "content": content}]), client)


def test_retry_on_429_then_cache_hit_and_log(ws) -> None:
    seen = {"n": 0}

    def respond(body):
        seen["n"] += 1
        return Status(429) if seen["n"] == 1 else "hello there"

    with StubServer(respond=respond) as server, ws.connect() as con:
        job = start_job(con, "test", "openai", "stub-model", {})
        client = LLMClient(_config(server.base_url), con, job)
        first = asyncio.run(client.chat([{"role": "user", "content": "hi"}], purpose="greet"))
        assert first.content == "hello there" and first.attempts == 2 and not first.cached
        requests_after_first = len(server.requests)
        second = asyncio.run(client.chat([{"role": "user", "content": "hi"}], purpose="greet"))
        assert second.cached and second.content == "hello there"
        assert len(server.requests) == requests_after_first == 2  # the retry was sent, the repeat was not
        client.flush()
        update_job(con, job, client.usage, items=1, status="done")
        log = rows(
            con, "SELECT status, attempts, prompt_tokens, cost FROM llm_calls WHERE job_id = ? ORDER BY id", [job]
        )
        assert [r["status"] for r in log] == ["ok", "cached"]
        assert log[0]["attempts"] == 2 and log[0]["prompt_tokens"] == 10
        assert log[0]["cost"] == (10 * 1.0 + 5 * 2.0) / 1e6 and log[1]["cost"] == 0
        j = rows(con, "SELECT calls, cached, prompt_tokens, completion_tokens, cost FROM jobs WHERE id = ?", [job])[0]
        assert (j["calls"], j["cached"], j["prompt_tokens"], j["completion_tokens"]) == (2, 1, 10, 5)


def test_cache_survives_a_new_client_and_no_cache_bypasses_it(ws) -> None:
    with StubServer(respond=lambda body: "fresh") as server, ws.connect() as con:
        _once(_config(server.base_url), con, "q")
        again = _once(_config(server.base_url), con, "q")
        assert again.cached and len(server.requests) == 1
        bypass = _once(_config(server.base_url, use_cache=False), con, "q")
        assert not bypass.cached and len(server.requests) == 2


def test_errors_are_recorded_not_raised(ws) -> None:
    with StubServer(respond=lambda body: Status(400)) as server, ws.connect() as con:
        reply = _once(_config(server.base_url, max_retries=3), con, "x")
        assert reply.error and "400" in reply.error and reply.attempts == 1  # not retryable
    with StubServer(respond=lambda body: Status(503)) as server, ws.connect() as con:
        client = LLMClient(_config(server.base_url, max_retries=2), con)
        reply = run_async(client.chat([{"role": "user", "content": "y"}]), client)
        assert reply.error.startswith("gave up after 3 attempts") and len(server.requests) == 3
        client.flush()
        assert rows(con, "SELECT status FROM llm_calls ORDER BY id DESC LIMIT 1")[0]["status"] == "error"
        assert not rows(con, "SELECT * FROM llm_cache")  # a failure is never cached


def test_broken_tool_calls_are_named_not_fatal() -> None:
    calls = [
        {"id": "a", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"'}},
        {"id": "b", "type": "function", "function": {"name": "teleport", "arguments": "{}"}},
        {"id": "c", "type": "function", "function": {"name": "get_weather", "arguments": '{"days": 0}'}},
        {"id": "d", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}},
    ]
    checked = check_tool_calls(calls, {"get_weather": WEATHER})
    assert "not valid JSON" in checked[0].problem
    assert checked[1].problem == "unknown tool 'teleport'"
    assert "violate the schema" in checked[2].problem and "city" in checked[2].problem
    assert checked[3].problem is None and checked[3].arguments == {"city": "Oslo"}


def test_concurrency_limit_is_respected(ws) -> None:
    import threading
    import time

    active = {"now": 0, "max": 0}
    lock = threading.Lock()

    def respond(body):
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.05)
        with lock:
            active["now"] -= 1
        return "ok"

    async def many(client: LLMClient) -> None:
        await asyncio.gather(*(client.chat([{"role": "user", "content": str(i)}]) for i in range(12)))

    with StubServer(respond=respond) as server, ws.connect() as con:
        client = LLMClient(_config(server.base_url, concurrency=3), con)
        run_async(many(client), client)
    assert active["max"] == 3


def test_request_text_with_cached_tools_equals_the_canonical_json() -> None:
    from fcstudio.catalog.schemas import canonical_json
    from fcstudio.llm import _BodyText, request_key

    tools = [{"type": "function", "function": {"name": "f", "description": "é", "parameters": {"type": "object"}}}]
    text = _BodyText()
    for body in (
        {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.0, "tools": tools},
        {"model": "m", "messages": [], "temperature": 0.5, "tools": tools, "tool_choice": "auto", "cache_salt": "t/1"},
        {"model": "m", "messages": [{"role": "user", "content": "no tools"}]},
        {"tools": tools},
    ):
        assert text(body) == canonical_json(body)
        assert request_key(body) == __import__("hashlib").sha256(text(body).encode()).hexdigest()
