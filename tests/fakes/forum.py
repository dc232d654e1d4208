"""A fake community forum (plain HTML comment pages) with a robots.txt; its layout can change."""

from __future__ import annotations

from demo.fake_server import FakeRequest, FakeResponse
from tests.conftest import fixture_path
from tests.fakes.fault_server import FaultServer

FORUM_PATH = "/forum/keluhan-warga"


def _html(name: str) -> bytes:
    return fixture_path("html", name).read_bytes()


class FakeForum(FaultServer):
    name = "fake-forum"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.layout_changed = False
        self.robots = fixture_path("html", "robots.txt").read_bytes()

    @property
    def forum_url(self) -> str:
        return f"{self.url}{FORUM_PATH}"

    def handle(self, request: FakeRequest) -> FakeResponse:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if request.path == "/robots.txt":
            return FakeResponse(200, self.robots, {"Content-Type": "text/plain"})
        if request.path == FORUM_PATH or request.path.startswith("/forum/privat"):
            if self.layout_changed:
                return FakeResponse(200, _html("forum_layout_changed.html"), html)
            page = request.query.get("page", "1")
            name = {"1": "forum_page1.html", "2": "forum_page2.html"}.get(page)
            if name:
                return FakeResponse(200, _html(name), html)
        return FakeResponse(404, b"<h1>404 Halaman tidak ditemukan</h1>", html)
