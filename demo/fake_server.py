"""Base of the shipped local FAKE servers (127.0.0.1, a free port, one thread each).

A subclass answers ``handle(request)``; every response says ``X-Aduan-Fake``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    # POST only: the raw body and its fields (form-encoded, or a JSON object's top level).
    body: bytes = b""
    form: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Close the connection without any answer (the request took effect, its response is lost).
    drop: bool = False


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None):
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return FakeResponse(
        status, body, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
    )


def _read_body(handler: BaseHTTPRequestHandler) -> tuple[bytes, dict[str, Any]]:
    """A POST body and its fields: form-encoded, or the top level of a JSON object."""
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    kind = handler.headers.get("Content-Type", "")
    try:
        if kind.startswith("application/json"):
            data = json.loads(body.decode("utf-8") or "{}")
            return body, data if isinstance(data, dict) else {}
        text = body.decode("utf-8")
    except (UnicodeDecodeError, ValueError):
        return body, {}
    return body, {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


class FakeServer:
    """A local HTTP server in a thread; ``with FakeX() as fake: fake.url``."""

    name = "fake"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.delay = 0.0  # seconds added to every response (a slow service)
        self.requests: list[FakeRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.name} is not started")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> FakeServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body in one send: no Nagle/delayed-ACK stall of 40 ms per response.
            wbufsize = 64 * 1024
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                owner._serve(self)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                owner._serve(self, method="POST")

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("%s: " + format, owner.name, *args)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request (subclasses override)."""
        return FakeResponse(404, b"not found")

    def respond(self, request: FakeRequest) -> FakeResponse:
        """The answer to ``request``: ``handle``'s (tests' fault injection wraps this)."""
        return self.handle(request)

    def _serve(self, handler: BaseHTTPRequestHandler, method: str = "GET") -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = FakeRequest(method, parts.path, query, dict(handler.headers.items()))
        if method == "POST":
            request.body, request.form = _read_body(handler)
        self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        self._write(handler, self.respond(request))

    def _write(self, handler: BaseHTTPRequestHandler, response: FakeResponse) -> None:
        if response.drop:
            handler.close_connection = True
            return
        try:
            handler.send_response(response.status)
            self._send_headers(handler, response)
            handler.send_header("Content-Length", str(len(response.body)))
            handler.end_headers()
            handler.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("%s: client went away", self.name)

    def _send_headers(self, handler: BaseHTTPRequestHandler, response: FakeResponse) -> None:
        handler.send_header("X-Aduan-Fake", f"{self.name} (not the real service)")
        for key, value in response.headers.items():
            handler.send_header(key, value)
