"""A fake WordPress REST API: ``/wp-json/wp/v2/comments`` with ``per_page``, ``page``,
``orderby=id``, ``order``, ``post``; totals in ``X-WP-Total`` / ``X-WP-TotalPages``; the public
``/wp-json/wp/v2/users`` (the site's authors)."""

from __future__ import annotations

import json
import math

from demo.fake_server import FakeRequest, FakeResponse, json_response
from tests.conftest import fixture_path
from tests.fakes.fault_server import FaultServer


class FakeWordPress(FaultServer):
    name = "fake-wordpress"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.comments = json.loads(fixture_path("wordpress", "comments.json").read_text("utf-8"))
        self.users = json.loads(fixture_path("wordpress", "users.json").read_text("utf-8"))

    def add_comment(self, text: str, *, post: int = 209) -> dict:
        last = max(self.comments, key=lambda c: c["id"])
        new = dict(
            last,
            id=last["id"] + 1,
            post=post,
            parent=0,
            author=0,
            author_name="Warga Baru",
            content={"rendered": f"<p>{text}</p>\n"},
            link=f"{{base}}/2026/11/berita-{post}/#comment-{last['id'] + 1}",
        )
        self.comments.append(new)
        return new

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path.rstrip("/") == "/wp-json/wp/v2/users" and self.users is not None:
            return json_response(json.loads(json.dumps(self.users).replace("{base}", self.url)))
        if request.path.rstrip("/") != "/wp-json/wp/v2/comments":
            return json_response(
                {"code": "rest_no_route", "message": "No route was found", "data": {"status": 404}},
                404,
            )
        items = self.comments
        if "post" in request.query:
            items = [c for c in items if str(c["post"]) == request.query["post"]]
        reverse = request.query.get("order", "desc") == "desc"
        key = "id" if request.query.get("orderby") == "id" else "date_gmt"
        items = sorted(items, key=lambda c: c[key], reverse=reverse)
        per_page = int(request.query.get("per_page", "10"))
        page = int(request.query.get("page", "1"))
        pages = max(1, math.ceil(len(items) / per_page))
        if page > pages:
            return json_response(
                {
                    "code": "rest_comment_invalid_page_number",
                    "message": "The page number requested is larger than the number of pages "
                    "available.",
                    "data": {"status": 400},
                },
                400,
            )
        chunk = items[(page - 1) * per_page : page * per_page]
        body = json.loads(json.dumps(chunk).replace("{base}", self.url))
        headers = {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}
        return json_response(body, headers=headers)
