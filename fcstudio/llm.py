"""One client for any OpenAI-compatible chat endpoint: concurrency limit, retries, a workspace cache, a call log.

Every request is keyed by the sha256 of its canonical JSON (model, messages, tools, sampling settings), so
the same request is never paid for twice: a hit is served from ``llm_cache``. Every call, hit or miss,
becomes a row of ``llm_calls`` with its job, purpose, tokens, cost, attempts and outcome. A paid answer
is cached at once (a job killed a moment later never pays for it again); log rows are buffered and written
by ``flush``, which jobs call in the same transaction as each item they store.

A call that still fails after its retries does not raise: the reply carries ``error`` and the log says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import duckdb
from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field

from fcstudio.catalog.schemas import canonical_json
from fcstudio.models import ToolSpec
from fcstudio.store import rows, scalar, transaction

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}
T = TypeVar("T")


class LLMConfig(BaseModel):
    """How to reach a model. The key is read from the environment variable ``api_key_env``, never stored."""

    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = Field(8, ge=1, le=1024)
    max_retries: int = Field(5, ge=0)
    timeout: float = Field(60.0, gt=0)
    temperature: float = 0.0
    max_tokens: int | None = Field(None, ge=1, description="cap on each reply's tokens (the server's default if unset)")
    use_cache: bool = True
    price_in: float = Field(0.0, ge=0, description="USD per million prompt tokens")
    price_out: float = Field(0.0, ge=0, description="USD per million completion tokens")
    backoff_base: float = Field(0.5, gt=0, description="first retry waits up to this many seconds")
    backoff_max: float = Field(20.0, gt=0)

    def api_key(self) -> str:
        key = os.environ.get(self.api_key_env)
        if key:
            return key
        if self.base_url:  # local servers (vLLM, Ollama, the test server) accept any key
            return "not-needed"
        raise ValueError(f"no API key: set ${self.api_key_env} or pass --base-url for a local endpoint")


@dataclass
class Reply:
    """What the model said: text and/or raw tool calls (arguments as the JSON text it produced)."""

    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    error: str | None = None
    attempts: int = 0

    def message(self) -> dict[str, Any]:
        """The assistant message in OpenAI form (what is cached)."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = self.tool_calls
        return msg


@dataclass
class Usage:
    """Running totals for one job."""

    calls: int = 0
    cached: int = 0
    failed: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def request_key(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


class _BodyText:
    """A request body's canonical JSON, with the ``tools`` list encoded once per list object.

    An evaluation sends the same tools (often most of the request) on every call: encoding them again each
    time was a fifth of the event loop's time at 32 episodes in flight. ``tools`` sorts last among the
    body's keys, so its text is spliced onto the rest; the result equals ``canonical_json(body)``.
    """

    def __init__(self) -> None:
        self._tools: tuple[Any, str] | None = None

    def __call__(self, body: dict[str, Any]) -> str:
        tools = body.get("tools")
        if tools is None or any(k > "tools" for k in body):
            return canonical_json(body)
        if self._tools is None or self._tools[0] is not tools:
            self._tools = (tools, canonical_json(tools))
        rest = canonical_json({k: v for k, v in body.items() if k != "tools"})
        return f'{rest[:-1]},"tools":{self._tools[1]}}}' if rest != "{}" else f'{{"tools":{self._tools[1]}}}'


class LLMClient:
    """Async chat client bound to one model config, optionally to a workspace (cache + log) and a job.

    Close it (``run_async`` does, ``aclose`` by hand) before the workspace connection closes: that commits the
    last cache writes and stops the cache thread.
    """

    def __init__(self, config: LLMConfig, con: duckdb.DuckDBPyConnection | None = None, job_id: int | None = None):
        from openai import AsyncOpenAI

        self.config = config
        self.con = con
        self.job_id = job_id
        self.usage = Usage()
        self._client = AsyncOpenAI(
            base_url=config.base_url, api_key=config.api_key(), max_retries=0, timeout=config.timeout
        )
        self._sem: asyncio.Semaphore | None = None
        # Cache reads and writes run on one worker thread with its own cursor, off the event loop: a commit
        # costs milliseconds, and at 32 requests in flight that would stall every other request.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llm-cache") if con is not None else None
        self._cursor = con.cursor() if con is not None else None
        self._lock = threading.Lock()
        self._pending_cache: dict[str, dict[str, Any]] = {}  # answered, not yet committed
        self._write_scheduled = False
        self._pending_log: list[list[Any]] = []
        self._body_text = _BodyText()

    def _semaphore(self) -> asyncio.Semaphore:
        if self._sem is None:  # created lazily: it must belong to the running event loop
            self._sem = asyncio.Semaphore(self.config.concurrency)
        return self._sem

    async def _cached(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if key in self._pending_cache:
                return self._pending_cache[key]
        if self._io is None:
            return None
        text = await asyncio.get_running_loop().run_in_executor(self._io, self._lookup, key)
        return json.loads(text) if text else None

    def _cache_cursor(self) -> duckdb.DuckDBPyConnection:
        """The cache thread's own cursor (that thread runs only for a client bound to a workspace)."""
        if self._cursor is None:
            raise RuntimeError("this client has no workspace, so no cache")
        return self._cursor

    def _lookup(self, key: str) -> str | None:
        return scalar(self._cache_cursor(), "SELECT response FROM llm_cache WHERE key = ?", [key])

    async def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        purpose: str = "chat",
        tool_choice: str | None = None,
        cache_salt: str | None = None,
    ) -> Reply:
        """One completion. ``cache_salt`` separates cache entries of equal requests that must be asked
        independently (the trials of an evaluation), while a rerun of the same trial still hits the cache."""
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
        }
        if self.config.max_tokens is not None:  # only when set, so requests cached before the option still match
            body["max_tokens"] = self.config.max_tokens
        if tools:
            body["tools"] = tools
            if tool_choice:
                body["tool_choice"] = tool_choice
        text = self._body_text({**body, "cache_salt": cache_salt} if cache_salt else body)
        key = hashlib.sha256(text.encode()).hexdigest()
        started = time.perf_counter()
        if self.config.use_cache:
            hit = await self._cached(key)
            if hit is not None:
                reply = Reply(
                    content=hit.get("content"),
                    tool_calls=hit.get("tool_calls") or [],
                    prompt_tokens=int(hit.get("prompt_tokens", 0)),
                    completion_tokens=int(hit.get("completion_tokens", 0)),
                    cached=True,
                )
                self.usage.calls += 1
                self.usage.cached += 1
                self._log(key, purpose, "cached", 0, time.perf_counter() - started, reply, text, 0.0)
                return reply
        async with self._semaphore():
            reply = await self._send(body)
        seconds = time.perf_counter() - started
        cost = (reply.prompt_tokens * self.config.price_in + reply.completion_tokens * self.config.price_out) / 1e6
        self.usage.calls += 1
        self.usage.retries += max(0, reply.attempts - 1)
        self.usage.prompt_tokens += reply.prompt_tokens
        self.usage.completion_tokens += reply.completion_tokens
        self.usage.cost += cost
        if reply.error:
            self.usage.failed += 1
        elif self.config.use_cache:
            self._store_cache(key, reply)
        self._log(key, purpose, "error" if reply.error else "ok", reply.attempts, seconds, reply, text, cost)
        return reply

    async def _send(self, body: dict[str, Any]) -> Reply:
        import openai

        attempt = 0
        while True:
            attempt += 1
            try:  # the raw POST skips the SDK's per-request parameter transform and model building
                raw = await self._client.post("/chat/completions", body=body, cast_to=bytes)
                data = json.loads(raw)
            except ValueError as exc:  # the endpoint answered 2xx with something that is not JSON
                return Reply(error=f"the response is not JSON: {exc}", attempts=attempt)
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                problem, wait = f"{type(exc).__name__}: {exc}", None
            except openai.APIStatusError as exc:
                if exc.status_code not in RETRYABLE_STATUS:
                    return Reply(error=f"HTTP {exc.status_code}: {_short(exc.message)}", attempts=attempt)
                problem, wait = f"HTTP {exc.status_code}: {_short(exc.message)}", _retry_after(exc)
            else:
                return _reply_from(data, attempt)
            if attempt > self.config.max_retries:
                return Reply(error=f"gave up after {attempt} attempts: {problem}", attempts=attempt)
            cap = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
            await asyncio.sleep(wait if wait is not None else random.uniform(0, cap))

    def _log(
        self,
        key: str,
        purpose: str,
        status: str,
        attempts: int,
        seconds: float,
        reply: Reply,
        request: str,
        cost: float,
    ) -> None:
        self._pending_log.append(
            [
                self.job_id,
                purpose,
                self.config.model,
                key,
                status,
                attempts,
                seconds,
                0 if reply.cached else reply.prompt_tokens,
                0 if reply.cached else reply.completion_tokens,
                cost,
                reply.error,
                request,
                None if reply.error else json.dumps(reply.message()),
            ]
        )

    def _store_cache(self, key: str, reply: Reply) -> None:
        """Cache a paid answer: committed within milliseconds by the worker (answers that arrive meanwhile
        join the same commit), so a job killed a moment later never pays for it again."""
        response = {
            **reply.message(),
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
        }
        with self._lock:
            self._pending_cache[key] = response
            if self._io is None or self._write_scheduled:
                return
            self._write_scheduled = True
        self._io.submit(self._write_cache)

    def _write_cache(self) -> None:
        with self._lock:
            batch = dict(self._pending_cache)
            self._write_scheduled = False
        if not batch:
            return
        cur = self._cache_cursor()
        with transaction(cur):
            cur.executemany(
                """INSERT INTO llm_cache (key, model, response, prompt_tokens, completion_tokens)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                [
                    [k, self.config.model, json.dumps(r), r["prompt_tokens"], r["completion_tokens"]]
                    for k, r in batch.items()
                ],
            )
        with self._lock:
            for k in batch:
                self._pending_cache.pop(k, None)

    def drain(self) -> None:
        """Wait until every answer so far is committed to the cache."""
        if self._io is not None:
            self._io.submit(self._write_cache).result()

    def flush(self, con: duckdb.DuckDBPyConnection | None = None) -> int:
        """Write buffered log rows (inside the caller's transaction, if any); returns how many."""
        self.drain()
        return self.write_log(con or self.con, self.take_log())

    def take_log(self) -> list[list[Any]]:
        """The buffered log rows, handed over (another thread may write them: the swap is atomic)."""
        batch, self._pending_log = self._pending_log, []
        return batch

    @staticmethod
    def write_log(con: duckdb.DuckDBPyConnection | None, batch: list[list[Any]]) -> int:
        if con is None or not batch:
            return 0
        con.executemany(
            """INSERT INTO llm_calls (id, job_id, purpose, model, key, status, attempts, seconds, prompt_tokens,
               completion_tokens, cost, error, request, response)
               VALUES (nextval('llm_call_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            batch,
        )
        return len(batch)

    async def aclose(self) -> None:
        await self._client.close()
        self.drain()
        if self._io is not None:
            self._io.shutdown()
            if self._cursor is not None:  # made together with the cache thread
                self._cursor.close()
            self._io = None


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _retry_after(exc: Any) -> float | None:
    try:
        value = float(exc.response.headers.get("retry-after"))
    except (TypeError, ValueError, AttributeError):
        return None
    return min(max(value, 0.0), 60.0)


def _reply_from(data: Any, attempts: int) -> Reply:
    """A Reply from a chat-completion JSON body; a body without a message is an error, not an exception."""
    choices = data.get("choices") if isinstance(data, dict) else None
    msg = choices[0].get("message") if choices and isinstance(choices[0], dict) else None
    if not isinstance(msg, dict):
        return Reply(error="the response has no message", attempts=attempts)
    calls = []
    for i, tc in enumerate(msg.get("tool_calls") or []):
        fn = tc.get("function") or {}
        calls.append(
            {
                "id": tc.get("id") or f"call_{i}",
                "type": "function",
                "function": {"name": fn.get("name") or "", "arguments": fn.get("arguments") or ""},
            }
        )
    usage = data.get("usage") or {}
    return Reply(
        content=msg.get("content"),
        tool_calls=calls,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        attempts=attempts,
    )


# -- checking what a model asked for ------------------------------------------------------------------


@dataclass
class CheckedCall:
    """One tool call from a model, parsed and checked; ``problem`` is None when it is usable."""

    id: str
    name: str
    raw_arguments: str
    arguments: dict[str, Any] | None
    problem: str | None


def check_tool_calls(tool_calls: list[dict[str, Any]], tools: dict[str, ToolSpec]) -> list[CheckedCall]:
    """Parse each call's arguments and check name and arguments against the offered tools' schemas."""
    checked = []
    for tc in tool_calls:
        fn = tc.get("function") or {}
        name, raw = str(fn.get("name") or ""), fn.get("arguments")
        raw_text = raw if isinstance(raw, str) else json.dumps(raw)
        args, problem = parse_arguments(raw_text, name)
        if problem is None:
            spec = tools.get(name)
            if spec is None:
                problem = f"unknown tool {name!r}" if name else "a tool call without a function name"
            else:
                problem = schema_problem(spec.parameters, args or {}, name)
        checked.append(CheckedCall(str(tc.get("id") or ""), name, raw_text, args, problem))
    return checked


def parse_arguments(raw: str | None, name: str = "") -> tuple[dict[str, Any] | None, str | None]:
    """(arguments, None) from a call's JSON text (empty text is ``{}``), or (None, why it is unusable)."""
    try:
        parsed = json.loads(raw) if raw and raw.strip() else {}
    except json.JSONDecodeError as exc:
        return None, f"arguments of {name or '(no name)'} are not valid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(parsed, dict):
        return None, f"arguments of {name} are not a JSON object"
    return parsed, None


def schema_problem(schema: dict[str, Any], arguments: dict[str, Any], name: str = "") -> str | None:
    """The first JSON Schema violation of ``arguments``, worded with its place, or None."""
    errors = sorted(Draft202012Validator(schema).iter_errors(arguments), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    err = errors[0]
    where = "/".join(str(p) for p in err.absolute_path) or "arguments"
    return f"arguments of {name} violate the schema at {where}: {err.message}"


def parse_json_reply(text: str | None) -> Any:
    """JSON from a model's text, tolerating a fenced code block around it; raises ValueError."""
    if not text:
        raise ValueError("empty reply")
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"reply is not JSON: {exc.msg}") from None


# -- jobs -------------------------------------------------------------------------------------------


def run_async(coro: Coroutine[Any, Any, T], client: LLMClient | None) -> T:
    """Run a job's coroutine, closing the client's connections inside the same event loop."""

    async def main() -> T:
        try:
            return await coro
        finally:
            if client is not None:
                await client.aclose()

    return asyncio.run(main())


def list_calls(con: duckdb.DuckDBPyConnection, *, job_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    return rows(
        con,
        """SELECT id, job_id, purpose, model, status, attempts, round(seconds, 3) AS seconds, prompt_tokens,
                  completion_tokens, cost, error FROM llm_calls WHERE (? IS NULL OR job_id = ?)
           ORDER BY id DESC LIMIT ?""",
        [job_id, job_id, limit],
    )


def get_call(con: duckdb.DuckDBPyConnection, call_id: int) -> dict[str, Any] | None:
    found = rows(con, "SELECT * FROM llm_calls WHERE id = ?", [call_id])
    return found[0] if found else None
