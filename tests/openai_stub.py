"""A real local HTTP server speaking the OpenAI protocol (chat completions, embeddings), for tests.

It stands in for the outside service only: requests go over loopback through the ``openai`` client.
Embeddings are deterministic bags of hashed words, so similar texts get similar vectors. Chat replies are
scripted: ``chat(prompt) -> text`` for simple judges, or ``respond(body) -> reply`` for full control, where a
reply is a text, a message dict (``tool_calls`` included, arguments as raw text so they can be broken), or
``Status(429)`` to answer with an HTTP error. ``latency`` delays every answer (the benchmark uses 200 ms).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

DIM = 64


def embed(text: str) -> list[float]:
    vec = [0.0] * DIM
    for word in re.findall(r"[a-z]+", text.lower()):
        vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
    return vec


def default_chat(prompt: str) -> str:
    return '{"keep": true, "reason": "plausible"}'


@dataclass
class Status:
    code: int
    retry_after: float | None = None


class Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []
    chat_reply: ClassVar[list] = [default_chat]  # one-element boxes: the scripted reply functions
    respond: ClassVar[list] = [None]
    latency: ClassVar[list[float]] = [0.0]
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stall)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with Handler.lock:
            Handler.requests.append({"path": self.path, "body": body})
        if Handler.latency[0]:
            time.sleep(Handler.latency[0])
        if self.path.endswith("/chat/completions"):
            if Handler.respond[0] is not None:
                reply = Handler.respond[0](body)
                if isinstance(reply, Status):
                    self._error(reply)
                    return
                usage = (10, 5)
            else:  # the simple judge script: text in, text out, tokens counted as words
                prompt = body["messages"][-1]["content"]
                reply = Handler.chat_reply[0](prompt)
                usage = (len(prompt.split()), len(reply.split()))
            message = {"role": "assistant", "content": reply} if isinstance(reply, str) else reply
            message.setdefault("role", "assistant")
            message.setdefault("content", None)
            self._send(
                {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "stub"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                            "message": message,
                        }
                    ],
                    "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
                }
            )
            return
        if not self.path.endswith("/embeddings"):
            self.send_error(404)
            return
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        payload = {
            "object": "list",
            "model": body.get("model", "stub"),
            "data": [{"object": "embedding", "index": i, "embedding": embed(t)} for i, t in enumerate(inputs)],
            "usage": {
                "prompt_tokens": sum(len(t.split()) for t in inputs),
                "total_tokens": sum(len(t.split()) for t in inputs),
            },
        }
        self._send(payload)

    def _error(self, status: Status) -> None:
        data = json.dumps({"error": {"message": f"scripted {status.code}", "type": "stub", "code": None}}).encode()
        self.send_response(status.code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status.retry_after is not None:
            self.send_header("Retry-After", str(status.retry_after))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the benchmark opens 32 connections at once


class StubServer:
    def __init__(self, chat=default_chat, respond=None, latency: float = 0.0) -> None:  # type: ignore[no-untyped-def]
        self.chat = chat
        self.respond = respond
        self.latency = latency

    def __enter__(self) -> StubServer:
        Handler.requests = []
        Handler.chat_reply[0] = self.chat
        Handler.respond[0] = self.respond
        Handler.latency[0] = self.latency
        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def requests(self) -> list[dict]:
        return Handler.requests


if __name__ == "__main__":  # a server in its own process (the benchmark): prints its base URL, serves until killed
    import argparse
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--reply", default="ok")
    parser.add_argument("--script", choices=["eval"], help="eval: the scripted agent and user of scripted_eval.py")
    options = parser.parse_args()
    respond = lambda body: options.reply  # noqa: E731
    if options.script == "eval":
        from scripted_eval import script

        respond = script()
    with StubServer(respond=respond, latency=options.latency) as stub:
        sys.stdout.write(stub.base_url + "\n")
        sys.stdout.flush()
        threading.Event().wait()
