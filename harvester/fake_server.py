"""Base of Aduan's local FAKE servers (127.0.0.1, a free port, one thread): tests and demos only.

A subclass answers ``handle(request)``; the base injects faults on request, before the handler:
bursts of an HTTP status (with ``Retry-After``), slow or hanging responses, truncated bodies,
invalid UTF-8, oversized bodies and redirect loops. Every response says ``X-Aduan-Fake``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
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
    # A body of this many bytes streamed in chunks (the 50 MB case) instead of ``body``.
    stream_size: int = 0
    # Close the connection without any answer (the request took effect, its response is lost).
    drop: bool = False


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None):
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return FakeResponse(
        status, body, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
    )


class Faults:
    """Faults the next requests suffer, consumed first come first served (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self.delay = 0.0  # seconds added to every response

    def add(self, kind: str, times: int = 1, **options: Any) -> None:
        with self._lock:
            self._queue.extend((kind, options) for _ in range(times))

    def status_burst(self, times: int, status: int = 500, retry_after: int | None = None) -> None:
        """The next ``times`` requests get ``status`` (optionally with ``Retry-After``)."""
        self.add("status", times, status=status, retry_after=retry_after)

    def hang(self, times: int, seconds: float) -> None:
        """The next ``times`` requests wait ``seconds`` before answering (client timeouts)."""
        self.add("hang", times, seconds=seconds)

    def truncate(self, times: int = 1) -> None:
        """The next ``times`` bodies are cut in half (with a matching Content-Length)."""
        self.add("truncate", times)

    def invalid_utf8(self, times: int = 1) -> None:
        self.add("invalid_utf8", times)

    def huge_body(self, times: int = 1, size: int = 50 * 1024 * 1024, declare: bool = True) -> None:
        """A body of ``size`` bytes; ``declare=False`` omits Content-Length (chunked stream)."""
        self.add("huge", times, size=size, declare=declare)

    def redirect_loop(self, times: int = 1) -> None:
        self.add("redirect_loop", times)

    def next(self) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)


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
        self.faults = Faults()
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

    def _serve(self, handler: BaseHTTPRequestHandler, method: str = "GET") -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = FakeRequest(method, parts.path, query, dict(handler.headers.items()))
        if method == "POST":
            request.body, request.form = _read_body(handler)
        self.requests.append(request)
        fault = self.faults.next()
        if self.faults.delay:
            time.sleep(self.faults.delay)
        response = self._faulty(fault, request) if fault else None
        if response is None:
            response = self.handle(request)
            if fault and fault[0] == "truncate":
                response.body = response.body[: len(response.body) // 2]
            elif fault and fault[0] == "invalid_utf8":
                response.body = response.body[:20] + b"\xff\xfe\xc3\x28" + response.body[20:]
        self._write(handler, response)

    def _faulty(self, fault: tuple[str, dict[str, Any]], request: FakeRequest):
        kind, options = fault
        if kind == "status":
            headers = {"Content-Type": "text/plain"}
            if options.get("retry_after") is not None:
                headers["Retry-After"] = str(options["retry_after"])
            return FakeResponse(options["status"], b"fake server error burst", headers)
        if kind == "hang":
            time.sleep(options["seconds"])
            return None
        if kind == "huge":
            headers = {"Content-Type": "application/json"}
            if options["declare"]:
                headers["Content-Length"] = str(options["size"])
            return FakeResponse(200, b"", headers, stream_size=options["size"])
        if kind == "redirect_loop":
            return FakeResponse(302, b"", {"Location": request.path + "?loop=1"})
        return None

    def _write(self, handler: BaseHTTPRequestHandler, response: FakeResponse) -> None:
        if response.drop:
            handler.close_connection = True
            return
        try:
            handler.send_response(response.status)
            handler.send_header("X-Aduan-Fake", f"{self.name} (not the real service)")
            for key, value in response.headers.items():
                handler.send_header(key, value)
            if response.stream_size:
                if "Content-Length" not in response.headers:
                    handler.send_header("Connection", "close")
                    handler.close_connection = True
                handler.end_headers()
                chunk = b" " * 65536
                for _ in range(0, response.stream_size, len(chunk)):
                    handler.wfile.write(chunk)
                return
            handler.send_header("Content-Length", str(len(response.body)))
            handler.end_headers()
            handler.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("%s: client went away", self.name)
