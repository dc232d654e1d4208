"""Replays recorded-shape fixtures (tests/fixtures/<platform>/) from 127.0.0.1: each route names
a path, the query values a request must carry, and the fixture to answer with (``{base}`` in it
becomes this server's address). A request no route matches gets 404; a request that carries a
token in its query (it belongs in a header) gets 400."""

from __future__ import annotations

from dataclasses import dataclass, field

from demo.fake_server import FakeRequest, FakeResponse
from tests.conftest import fixture_path
from tests.fakes.fault_server import FaultServer


@dataclass(frozen=True)
class Route:
    path: str
    fixture: tuple[str, str]  # (platform, file)
    query: dict[str, str] = field(default_factory=dict)  # values the request must carry
    absent: tuple[str, ...] = ()  # query keys the request must not carry
    content_type: str = "application/json; charset=UTF-8"


class FixtureReplay(FaultServer):
    name = "fixture-replay"

    def __init__(self, routes: list[Route], *, auth_header: str | None = None, **kw) -> None:
        super().__init__(**kw)
        self.routes = routes
        self.auth_header = auth_header

    def handle(self, request: FakeRequest) -> FakeResponse:
        if "access_token" in request.query or "key" in request.query:
            return FakeResponse(400, b'{"error": "token in the query string"}')
        if self.auth_header and not request.headers.get(self.auth_header):
            return FakeResponse(401, b'{"error": "no credentials"}')
        for route in self.routes:
            if route.path != request.path:
                continue
            if any(request.query.get(k) != v for k, v in route.query.items()):
                continue
            if any(k in request.query for k in route.absent):
                continue
            body = fixture_path(*route.fixture).read_text("utf-8").replace("{base}", self.url)
            return FakeResponse(200, body.encode("utf-8"), {"Content-Type": route.content_type})
        return FakeResponse(404, b'{"error": "no recorded response for this request"}')
