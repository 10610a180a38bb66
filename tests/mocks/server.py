"""The base of every local HTTP mock in the tests: a real HTTP server on 127.0.0.1, in a daemon thread
for the duration of a `with` block, that records each request and answers it with the subclass's
`answer` (a JSON body, or none)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]  # the first value of each parameter
    headers: Message  # looked up without regard to case, as HTTP headers are
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


# (status, JSON body or None for no body) or (status, body, extra headers)
Reply = tuple


class MockServer:
    """Subclasses implement `answer(request) -> Reply`; `url` is the server's address plus `base_path`."""

    base_path = ""

    def __init__(self):
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{self.base_path}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    def _record_and_answer(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append(request)
        return self.answer(request)


def _handler_for(mock: MockServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _serve(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(self.command, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                              self.headers, self.rfile.read(length))
            status, body, *extra = mock._record_and_answer(request)
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (extra[0] if extra else {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve  # noqa: N815 (http.server's names)

    return Handler
