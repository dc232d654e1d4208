"""A fake YouTube Data API v3: ``channels``, ``playlistItems``, ``commentThreads`` (at most five
embedded replies) and ``comments?parentId=``; key in ``X-Goog-Api-Key`` or ``key``; quota errors.

Replies: ``POST comments?part=snippet`` (comments.insert) with ``{"snippet": {"parentId",
"textOriginal"}}`` needs an OAuth bearer token (``oauth_token``) with the youtube.force-ssl scope
(``scopes``): an API key is refused (401); a missing scope answers 403 insufficientPermissions;
an unknown or deleted parent 404 commentNotFound; ``reply_faults`` break it before or after."""

from __future__ import annotations

import itertools
import json
import threading

from demo.fake_replies import ReplyFaults
from demo.fake_server import FakeRequest, FakeResponse, json_response
from tests.conftest import fixture_path
from tests.fakes.fault_server import FaultServer

CHANNEL = "UCpemkotkupangcontoh0001"


def yt_error(status: int, reason: str, message: str) -> FakeResponse:
    return json_response(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "youtube.quota", "reason": reason}],
            }
        },
        status,
    )


class FakeYouTube(FaultServer):
    name = "fake-youtube"

    def __init__(self, *, key: str = "yt-test-key", page_size: int = 2, **kw) -> None:
        super().__init__(**kw)
        self.key = key
        self.page_size = page_size
        data = json.loads(fixture_path("youtube", "comment_threads.json").read_text("utf-8"))
        self.threads = data["items"]
        self.replies = json.loads(fixture_path("youtube", "replies.json").read_text("utf-8"))
        self.video = self.threads[0]["snippet"]["videoId"]
        self.quota_exceeded = False
        self.oauth_token = "yt-oauth-token"
        self.scopes = {"https://www.googleapis.com/auth/youtube.force-ssl"}
        self.reply_faults = ReplyFaults()
        self.posted: list[dict] = []
        self.deleted: set[str] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def replies_to(self, comment_id: str) -> list[dict]:
        return [p for p in self.posted if p["parent_id"] == comment_id]

    def _authorized(self, request: FakeRequest) -> FakeResponse | None:
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.oauth_token}":
            return yt_error(401, "authError", "Request had invalid authentication credentials.")
        if "https://www.googleapis.com/auth/youtube.force-ssl" not in self.scopes:
            return yt_error(403, "insufficientPermissions", "Request had insufficient scopes.")
        return None

    def _insert(self, request: FakeRequest) -> FakeResponse:
        refused = self._authorized(request)
        if refused is not None:
            return refused
        if request.query.get("part") != "snippet":
            return yt_error(400, "invalidPart", "part=snippet is required")
        snippet = request.form.get("snippet") if isinstance(request.form, dict) else None
        snippet = snippet if isinstance(snippet, dict) else {}
        parent, text = snippet.get("parentId"), str(snippet.get("textOriginal") or "").strip()
        tops = {t["snippet"]["topLevelComment"]["id"] for t in self.threads}
        if not parent or parent not in tops or parent in self.deleted:
            return yt_error(404, "commentNotFound", "The parent comment could not be found.")
        if not text:
            return yt_error(400, "commentTextRequired", "The comment must contain text.")
        fault = self.reply_faults.draw()
        early = self.reply_faults.before(fault, {"error": {"code": 503, "errors": [{}]}})
        if early is not None:
            return early
        with self._lock:
            reply_id = f"{parent}.fakereply{next(self._ids):04d}"
            item = {
                "kind": "youtube#comment",
                "id": reply_id,
                "snippet": {
                    "parentId": parent,
                    "textOriginal": text,
                    "textDisplay": text,
                    "authorChannelId": {"value": CHANNEL},
                    "publishedAt": "2026-11-28T00:00:00Z",
                },
            }
            self.replies.setdefault(parent, []).append(item)
            self.posted.append({"parent_id": parent, "id": reply_id, "text": text})
        return self.reply_faults.after(fault, json_response(item))

    def handle(self, request: FakeRequest) -> FakeResponse:
        endpoint = request.path.rsplit("/", 1)[-1]
        if request.method == "POST":
            if endpoint == "comments":
                return self._insert(request)
            return yt_error(404, "notFound", "Not Found")
        if request.headers.get("Authorization", "").startswith("Bearer "):
            refused = self._authorized(request)  # the reply token reads too (thread, check)
            if refused is not None:
                return refused
            if endpoint == "channels" and request.query.get("mine") == "true":
                return json_response({"items": [{"id": CHANNEL}]})
            if endpoint == "comments":
                return self._paged(self.replies.get(request.query.get("parentId", ""), []), request)
            return yt_error(404, "notFound", "Not Found")
        key = request.headers.get("X-Goog-Api-Key") or request.query.get("key")
        if key != self.key:
            return yt_error(400, "keyInvalid", "API key not valid. Please pass a valid API key.")
        if self.quota_exceeded:
            return yt_error(
                403,
                "quotaExceeded",
                "The request cannot be completed because you have exceeded your quota.",
            )
        endpoint = request.path.rsplit("/", 1)[-1]
        if endpoint == "channels":
            uploads = "UU" + CHANNEL[2:]
            items = [{"id": CHANNEL, "contentDetails": {"relatedPlaylists": {"uploads": uploads}}}]
            return json_response({"items": items if request.query.get("id") == CHANNEL else []})
        if endpoint == "playlistItems":
            return json_response({"items": [{"contentDetails": {"videoId": self.video}}]})
        if endpoint == "commentThreads":
            if request.query.get("videoId") != self.video:
                return yt_error(
                    404,
                    "videoNotFound",
                    "The video identified by the videoId parameter could not be found.",
                )
            return self._paged(self.threads, request)
        if endpoint == "comments":
            return self._paged(self.replies.get(request.query.get("parentId", ""), []), request)
        return yt_error(404, "notFound", "Not Found")

    def _paged(self, items: list, request: FakeRequest) -> FakeResponse:
        start = int(request.query.get("pageToken", "0") or 0)
        size = min(self.page_size, int(request.query.get("maxResults", "20")))
        body = {"items": items[start : start + size], "pageInfo": {"resultsPerPage": size}}
        if start + size < len(items):
            body["nextPageToken"] = str(start + size)
        return json_response(body)
