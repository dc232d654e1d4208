"""A fake JSON endpoint for the HTTP session's tests: ``/json`` answers ``{"ok": true, ...}``."""

from __future__ import annotations

from demo.fake_server import FakeRequest, FakeResponse, json_response
from tests.fakes.fault_server import FaultServer


class FakeEcho(FaultServer):
    name = "fake-echo"

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path == "/json":
            return json_response(
                {
                    "ok": True,
                    "path": request.path,
                    "query": request.query,
                    "user_agent": request.headers.get("User-Agent"),
                    "padding": "x" * 200,
                }
            )
        return FakeResponse(404, b"not found", {"Content-Type": "text/plain"})
