"""A fake Blogger comment feed (``/feeds/comments/default``): Atom, ``start-index``/``max-results``
paging with ``rel=next``, ETag and Last-Modified with 304 answers, duplicate-id injection."""

from __future__ import annotations

import hashlib
import re
from email.utils import formatdate

from demo.fake_server import FakeRequest, FakeResponse
from tests.conftest import fixture_path
from tests.fakes.fault_server import FaultServer

_ENTRY = re.compile(r"<entry>.*?</entry>", re.S)
FEED_PATH = "/feeds/comments/default"


class FakeBlogger(FaultServer):
    name = "fake-blogger"

    def __init__(self, *, page_size: int = 5, **kw) -> None:
        super().__init__(**kw)
        text = fixture_path("blogger", "comments_default.atom.xml").read_text(encoding="utf-8")
        self.head = text[: text.index("<entry>")]
        self.entries = _ENTRY.findall(text)  # newest first, as Blogger serves them
        self.page_size = page_size
        self.duplicate_ids = False
        self.version = 1
        self.not_modified = 0  # 304 answers given

    def publish(self, entry_xml: str) -> None:
        """A new comment appears on top of the feed (the ETag changes)."""
        self.entries.insert(0, entry_xml)
        self.version += 1

    @property
    def feed_url(self) -> str:
        return f"{self.url}{FEED_PATH}"

    def etag(self) -> str:
        digest = hashlib.sha1(f"{self.version}:{len(self.entries)}".encode()).hexdigest()[:16]
        return f'W/"{digest}"'

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path != FEED_PATH:
            return FakeResponse(404, b"Not Found", {"Content-Type": "text/html"})
        modified = formatdate(1764200000 + self.version * 60, usegmt=True)
        start = int(request.query.get("start-index", "1"))
        if start == 1 and (
            request.headers.get("If-None-Match") == self.etag()
            or request.headers.get("If-Modified-Since") == modified
        ):
            self.not_modified += 1
            return FakeResponse(304, b"", {"ETag": self.etag(), "Last-Modified": modified})
        size = int(request.query.get("max-results", str(self.page_size)))
        chunk = self.entries[start - 1 : start - 1 + size]
        if self.duplicate_ids and chunk:
            chunk = [*chunk, chunk[0]]
        links = ""
        if start - 1 + size < len(self.entries):
            links = (
                f"<link rel='next' type='application/atom+xml' href='{self.url}{FEED_PATH}"
                f"?start-index={start + size}&amp;max-results={size}'/>"
            )
        head = self.head.replace("<author>", links + "<author>", 1)
        body = (head + "\n".join(chunk) + "</feed>").replace("{base}", self.url)
        headers = {
            "Content-Type": "application/atom+xml; charset=UTF-8",
            "ETag": self.etag(),
            "Last-Modified": modified,
        }
        return FakeResponse(200, body.encode("utf-8"), headers)
