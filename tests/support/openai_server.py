"""A small OpenAI-compatible server on 127.0.0.1 for tests.

Speaks the real wire format (JSON and server-sent events) so newsbot's gateway,
the openai client and langchain are exercised unchanged. Tests script it:

- ``replies``: texts returned in order (then ``responder`` decides);
- ``responder(messages) -> str``: the default cites passage [1];
- ``fail(status, times)``: the next ``times`` chat/embedding calls get ``status``;
- ``break_next(mode, times)``: the next chat replies misbehave: ``cut`` (the stream stops
  after 4 words, no finish marker), ``html`` (status 200 with an HTML page), ``garbage``
  (status 200 with bytes that are not JSON), ``plain`` (a whole JSON completion where a
  stream was asked for), ``length`` (finish_reason "length");
- ``logprob_of(word, reply) -> float``: token log-probabilities (one token per word) sent back
  when a request asks for ``logprobs``;
- ``delay``: seconds to wait before answering (for timeouts and load);
- ``requests``: every request body received;
- ``stop()`` / ``start()``: take the server down and bring it back on the same port.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[list[dict[str, Any]]], str]


def cite_first_passage(messages: list[dict[str, Any]]) -> str:
    return "The reports describe this in the first passage [1]."


class FakeOpenAI:
    def __init__(
        self, port: int = 0, embed: Callable[[list[str], str], list[list[float]]] | None = None
    ) -> None:
        self.port = port or _free_port()
        self.replies: list[str] = []
        self.responder: Responder = cite_first_passage
        # A reply's log-probability per word (a "token"), sent when a request asks.
        self.logprob_of: Callable[[str, str], float] = lambda word, reply: -0.05
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        self.embed = embed
        self._failures: list[int] = []
        self._mischief: list[str] = []
        self.fail_message = ""  # the injected error's text (default "injected <status>")
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def fail(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def break_next(self, mode: str, times: int = 1) -> None:
        assert mode in ("cut", "html", "garbage", "plain", "length"), mode
        with self._lock:
            self._mischief.extend([mode] * times)

    def _next_mischief(self) -> str | None:
        with self._lock:
            return self._mischief.pop(0) if self._mischief else None

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _next_reply(self, messages: list[dict[str, Any]]) -> str:
        with self._lock:
            if self.replies:
                return self.replies.pop(0)
        return self.responder(messages)

    def start(self) -> FakeOpenAI:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self._send(
                        200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}
                    )
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append({"path": self.path, **body})
                # Failures are taken in arrival order: a slow request still asleep must not
                # take a failure queued after it arrived (it would steal it from the next one).
                status = server._next_failure()
                if server.delay:
                    time.sleep(server.delay)
                if status is not None:
                    message = server.fail_message or f"injected {status}"
                    self._send(status, {"error": {"message": message, "type": "test"}})
                    return
                if self.path == "/v1/chat/completions":
                    self._chat(body)
                elif self.path == "/v1/embeddings":
                    self._embeddings(body)
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def _raw(self, content_type: str, data: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _logprobs(self, text: str, body: dict[str, Any]) -> dict[str, Any] | None:
                if not body.get("logprobs"):
                    return None
                words = text.split() or [""]
                return {
                    "content": [
                        {"token": w, "logprob": server.logprob_of(w, text), "bytes": None,
                         "top_logprobs": []}
                        for w in words
                    ]
                }  # fmt: skip

            def _chat(self, body: dict[str, Any]) -> None:
                text = server._next_reply(body.get("messages", []))
                model = body.get("model", "fake-model")
                mischief = server._next_mischief()
                if mischief == "html":
                    self._raw("text/html", b"<html><body><h1>Bad Gateway</h1></body></html>")
                    return
                if mischief == "garbage":
                    self._raw("application/json", b'{"choices": [ {garbage')
                    return
                finish = "length" if mischief == "length" else "stop"
                if not body.get("stream") or mischief == "plain":
                    self._send(
                        200,
                        {
                            "id": "chatcmpl-test",
                            "object": "chat.completion",
                            "created": 0,
                            "model": model,
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": finish,
                                    "message": {"role": "assistant", "content": text},
                                    "logprobs": self._logprobs(text, body),
                                }
                            ],
                            "usage": {
                                "prompt_tokens": 1,
                                "completion_tokens": 1,
                                "total_tokens": 2,
                            },
                        },
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                words = text.split(" ")
                if mischief == "cut":  # the server dies mid-answer: no finish, no [DONE]
                    words = words[:4]
                for i, w in enumerate(words):
                    delta = w if i == 0 else " " + w
                    self._event(
                        {
                            "id": "chatcmpl-test",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": model,
                            "choices": [
                                {"index": 0, "delta": {"content": delta}, "finish_reason": None}
                            ],
                        }
                    )
                if mischief == "cut":
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._event(
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
                    }
                )
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _event(self, obj: dict[str, Any]) -> None:
                self.wfile.write(f"data: {json.dumps(obj)}\n\n".encode())
                self.wfile.flush()

            def _embeddings(self, body: dict[str, Any]) -> None:
                inputs = body.get("input", [])
                if isinstance(inputs, str):
                    inputs = [inputs]
                if server.embed is None:
                    self._send(500, {"error": {"message": "no embedder configured"}})
                    return
                vectors = server.embed(list(inputs), body.get("input_type", "query"))
                self._send(
                    200,
                    {
                        "object": "list",
                        "model": body.get("model", "fake-embed"),
                        "data": [
                            {"object": "embedding", "index": i, "embedding": v}
                            for i, v in enumerate(vectors)
                        ],
                        "usage": {"prompt_tokens": 0, "total_tokens": 0},
                    },
                )

        self._httpd = _Server(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Really down: the listener and every open keep-alive connection are closed."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd.close_connections()
            self._httpd = None

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == "/v1/chat/completions"]


class _Server(ThreadingHTTPServer):
    """Tracks its connections: a stopped server must not go on answering on them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) or a stop() mid-answer: not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
