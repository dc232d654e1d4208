"""A FAKE Instagram Graph API (not Instagram): one professional account from
tests/fixtures/instagram/account.json, in the shapes of the Instagram Graph API reference.

GET  /{v}/{ig-user-id}?fields=id,username
GET  /{v}/{ig-user-id}/media            newest first, cursor paging, ``paging.next``
GET  /{v}/{ig-media-id}/comments        top-level comments, oldest first
GET  /{v}/{ig-comment-id}/replies       replies of a top-level comment (posted ones included)
POST /{v}/{ig-comment-id}/replies       ``message`` required; only top-level comments; needs
                                        instagram_manage_comments; -> {"id": ...}
GET  /{v}/me/permissions                the token's permissions

Strict like the real one: the token (``Authorization: Bearer`` or ``access_token``) must be the
fake's; unknown ids answer error 100 (subcode 33); missing permission answers error 10; a
``delete(comment_id)`` makes later replies to it fail like a deleted comment. ``reply_faults``
(demo.fake_replies) break replies before or after they are posted.
"""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any

from demo.fake_facebook import _decode_cursor, _encode_cursor, _fields, graph_error
from demo.fake_replies import ReplyFaults
from demo.fake_server import FakeRequest, FakeResponse, json_response
from tests.conftest import fixture_path
from tests.fakes.fault_server import FaultServer

DEFAULT_TOKEN = "ig-test-token"
READ = ("instagram_basic",)
REPLY = "instagram_manage_comments"


class FakeInstagram(FaultServer):
    name = "fake-instagram"

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        token: str = DEFAULT_TOKEN,
        version: str = "v21.0",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        data = data or json.loads(fixture_path("instagram", "account.json").read_text("utf-8"))
        self.token = token
        self.version = version
        self.account = data["account"]
        self.media = data["media"]
        self.permissions = {*READ, REPLY, "pages_show_list", "pages_read_engagement"}
        self.reply_faults = ReplyFaults()
        self.posted: list[dict[str, Any]] = []  # every reply the fake accepted (duplicates too)
        self.deleted: set[str] = set()
        self.throttles: list[int] = []  # Graph codes the next requests answer (4, 17, 32, 613)
        self.usage: list[int] = []  # X-App-Usage call_count of the next responses
        self._lock = threading.Lock()
        self._ids = itertools.count(17_950_000_000_000_000)
        self._comments: dict[str, dict[str, Any]] = {}
        for media in self.media:
            for comment in media.get("comments", []):
                comment.setdefault("replies", [])
                self._comments[comment["id"]] = comment

    @classmethod
    def from_file(cls, path: Path | str, **kw: Any) -> FakeInstagram:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), **kw)

    @property
    def api_url(self) -> str:
        return f"{self.url}/{self.version}"

    def source_entry(self, name: str = "ig-test", token_env: str = "TEST_IG_TOKEN") -> dict:
        return {
            "name": name,
            "type": "instagram_account",
            "ig_user_id": self.account["id"],
            "base_url": self.api_url,
            "token_env": token_env,
            "requests_per_second": 0,
        }

    @property
    def item_ids(self) -> set[str]:
        """Ids of everything with text the fake serves (captions, comments, replies)."""
        ids = {m["id"] for m in self.media if (m.get("caption") or "").strip()}
        for comment in self._comments.values():
            ids.add(comment["id"])
            ids.update(r["id"] for r in comment["replies"])
        return ids

    def delete(self, comment_id: str) -> None:
        """The citizen deleted the comment: it disappears, replying to it fails."""
        with self._lock:
            self.deleted.add(comment_id)

    def replies_to(self, comment_id: str) -> list[dict[str, Any]]:
        return [p for p in self.posted if p["parent_id"] == comment_id]

    # serving ------------------------------------------------------------------------------
    def handle(self, request: FakeRequest) -> FakeResponse:
        parts = [p for p in request.path.split("/") if p]
        if not parts or parts[0] != self.version:
            return graph_error(2500, f"Unknown path components: {request.path}")
        auth = request.headers.get("Authorization", "")
        token = request.query.get("access_token") or request.form.get("access_token")
        token = token or (auth[7:] if auth.startswith("Bearer ") else None)
        if not token:
            return graph_error(104, "An access token is required to request this resource.")
        if token != self.token:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if self.throttles:
            return graph_error(self.throttles.pop(0), "(#4) Application request limit reached")
        rest = parts[1:]
        if request.method == "POST":
            if len(rest) == 2 and rest[1] == "replies":
                return self._post_reply(rest[0], request)
            return graph_error(100, "Unsupported post request (fake).")
        response = self._get(rest, request)
        percent = self.usage.pop(0) if self.usage else 2
        response.headers["X-App-Usage"] = json.dumps(
            {"call_count": percent, "total_cputime": 1, "total_time": 1}
        )
        return response

    def _get(self, rest: list[str], request: FakeRequest) -> FakeResponse:
        if rest == ["me", "permissions"]:
            data = [{"permission": p, "status": "granted"} for p in sorted(self.permissions)]
            return json_response({"data": data})
        if READ[0] not in self.permissions:
            return graph_error(10, "(#10) Application does not have permission for this action")
        wanted = _fields(request.query.get("fields", "id"))
        if rest == [self.account["id"]]:
            return json_response({k: v for k, v in self.account.items() if k in wanted | {"id"}})
        if rest == [self.account["id"], "media"]:
            items = [{**m, "comments_count": self._count(m)} for m in self.media]
            return self._page(items, request, wanted)
        media = {m["id"]: m for m in self.media}
        if len(rest) == 2 and rest[1] == "comments" and rest[0] in media:
            comments = [c for c in media[rest[0]].get("comments", []) if not self._gone(c)]
            return self._page(comments, request, wanted)
        if len(rest) == 2 and rest[1] == "replies" and rest[0] in self._comments:
            comment = self._comments[rest[0]]
            if self._gone(comment):
                return _missing(rest[0])
            replies = [r for r in comment["replies"] if not self._gone(r)]
            return self._page(replies, request, wanted)
        return _missing("/".join(rest))

    def _post_reply(self, comment_id: str, request: FakeRequest) -> FakeResponse:
        message = str(request.form.get("message") or request.query.get("message") or "").strip()
        if REPLY not in self.permissions:
            return graph_error(10, "(#10) Application does not have permission for this action")
        comment = self._comments.get(comment_id)
        if comment is None or self._gone(comment):
            return _missing(comment_id)
        if not message:
            return graph_error(100, "(#100) The parameter message is required")
        fault = self.reply_faults.draw()
        early = self.reply_faults.before(fault, {"error": {"message": "fake failure", "code": 2}})
        if early is not None:
            return early
        with self._lock:
            reply = {
                "id": str(next(self._ids)),
                "text": message,
                "timestamp": "2026-11-28T00:00:00+0000",
                "username": self.account["username"],
            }
            comment["replies"].append(reply)
            self.posted.append({"parent_id": comment_id, **reply})
        return self.reply_faults.after(fault, json_response({"id": reply["id"]}))

    def _gone(self, item: dict[str, Any]) -> bool:
        return item["id"] in self.deleted

    def _count(self, media: dict[str, Any]) -> int:
        comments = [c for c in media.get("comments", []) if not self._gone(c)]
        return len(comments) + sum(len(c["replies"]) for c in comments)

    def _page(self, items: list[dict], request: FakeRequest, wanted: set[str]) -> FakeResponse:
        limit = max(1, min(100, int(request.query.get("limit", "25"))))
        start = _decode_cursor(request.query.get("after"))
        chunk = items[start : start + limit]
        data = [
            {k: v for k, v in item.items() if (k in wanted or k == "id") and k != "comments"}
            for item in chunk
        ]
        body: dict[str, Any] = {"data": data}
        if chunk:
            after = _encode_cursor(start + limit)
            body["paging"] = {"cursors": {"before": _encode_cursor(start), "after": after}}
            if start + limit < len(items):
                query = dict(request.query, after=after)  # access_token stays, as on Graph
                body["paging"]["next"] = f"{self.url}{request.path}?" + "&".join(
                    f"{k}={v}" for k, v in query.items()
                )
        return json_response(body)


def _missing(object_id: str) -> FakeResponse:
    return graph_error(
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation (fake).",
        subcode=33,
    )
