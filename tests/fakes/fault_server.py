"""Fault injection for the local fake servers (tests only): status bursts, hangs, truncated or
invalid bodies, 50 MB streams and redirect loops, injected before the fake's handler answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from demo.fake_facebook import FakeGraphAPI
from demo.fake_server import FakeRequest, FakeResponse, FakeServer

log = logging.getLogger(__name__)


@dataclass
class StreamResponse(FakeResponse):
    """A body of ``size`` bytes streamed in chunks (the 50 MB case) instead of ``body``."""

    size: int = 0


class Faults:
    """Faults the next requests suffer, consumed first come first served (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()

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


class FaultInjection:
    """Mixin before a ``FakeServer``: ``fake.faults`` breaks its next answers."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.faults = Faults()

    def respond(self, request: FakeRequest) -> FakeResponse:
        fault = self.faults.next()
        response = _faulty(fault, request) if fault else None
        if response is None:
            response = super().respond(request)  # type: ignore[misc]
            if fault and fault[0] == "truncate":
                response.body = response.body[: len(response.body) // 2]
            elif fault and fault[0] == "invalid_utf8":
                response.body = response.body[:20] + b"\xff\xfe\xc3\x28" + response.body[20:]
        return response

    def _write(self, handler: BaseHTTPRequestHandler, response: FakeResponse) -> None:
        if not isinstance(response, StreamResponse):
            return super()._write(handler, response)  # type: ignore[misc]
        try:
            handler.send_response(response.status)
            self._send_headers(handler, response)  # type: ignore[attr-defined]
            if "Content-Length" not in response.headers:
                handler.send_header("Connection", "close")
                handler.close_connection = True
            handler.end_headers()
            chunk = b" " * 65536
            for _ in range(0, response.size, len(chunk)):
                handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("%s: client went away", self.name)  # type: ignore[attr-defined]


class FaultServer(FaultInjection, FakeServer):
    """Base of the tests' fake servers: a ``FakeServer`` with ``faults``."""


class FaultyGraphAPI(FaultInjection, FakeGraphAPI):
    """The demo's fake Graph API with ``faults``."""


def _faulty(fault: tuple[str, dict[str, Any]], request: FakeRequest) -> FakeResponse | None:
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
        return StreamResponse(200, b"", headers, size=options["size"])
    if kind == "redirect_loop":
        return FakeResponse(302, b"", {"Location": request.path + "?loop=1"})
    return None
