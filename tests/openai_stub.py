"""A real local HTTP server speaking the OpenAI protocol (embeddings), for tests of the OpenAI-compatible paths.

It stands in for the outside service only: requests go over loopback through the ``openai`` client.
Embeddings are deterministic bags of hashed words, so similar texts get similar vectors.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
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


class Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []
    chat_reply: ClassVar[list] = [default_chat]  # a one-element box: the scripted reply function

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        Handler.requests.append({"path": self.path, "body": body})
        if self.path.endswith("/chat/completions"):
            prompt = body["messages"][-1]["content"]
            text = Handler.chat_reply[0](prompt)
            self._send(
                {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "stub"),
                    "choices": [
                        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                    ],
                    "usage": {
                        "prompt_tokens": len(prompt.split()),
                        "completion_tokens": len(text.split()),
                        "total_tokens": 0,
                    },
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

    def _send(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


class StubServer:
    def __init__(self, chat=default_chat) -> None:  # type: ignore[no-untyped-def]
        self.chat = chat

    def __enter__(self) -> StubServer:
        Handler.requests = []
        Handler.chat_reply[0] = self.chat
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
