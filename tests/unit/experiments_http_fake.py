"""A component as the runner's clients see it: a real HTTP server on a port the kernel
picks, answering from a table of routes and recording every call it gets."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any  # the JSON sent, the form fields as a dict, or None
    auth: str | None = None


Answer = tuple[int, Any]  # (status, JSON body; None: no body)


class FakeHttp:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Answer | Callable[[Call], Answer]] = {}
        self.calls: list[Call] = []
        self._server: ThreadingHTTPServer | None = None

    def on(self, method: str, path: str, answer: Answer | Callable[[Call], Answer]) -> None:
        """``answer``: a fixed (status, body), or a function of the call that returns one."""
        self.routes[(method, path)] = answer

    def called(self, method: str | None = None, path: str | None = None) -> list[Call]:
        return [c for c in self.calls if method in (None, c.method) and path in (None, c.path)]

    @property
    def url(self) -> str:
        assert self._server is not None, "not serving"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeHttp:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, call: Call) -> Answer:
        answer = self.routes.get((call.method, call.path))
        if answer is None:
            return 404, {"error": f"no such endpoint {call.path}"}
        return answer(call) if callable(answer) else answer


def _handler(fake: FakeHttp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                body: Any = dict(parse_qsl(raw))
            else:
                body = json.loads(raw) if raw else None
            parts = urlsplit(self.path)
            call = Call(self.command, parts.path, dict(parse_qsl(parts.query)), body,
                        self.headers.get("Authorization"))
            fake.calls.append(call)
            status, answer = fake._answer(call)
            data = b"" if answer is None else (answer if isinstance(answer, bytes) else json.dumps(answer).encode())
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, *args) -> None:
            pass

    return Handler
