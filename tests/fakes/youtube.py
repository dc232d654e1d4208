"""A fake YouTube Data API v3: ``channels``, ``playlistItems``, ``commentThreads`` (at most five
embedded replies) and ``comments?parentId=``; key in ``X-Goog-Api-Key`` or ``key``; quota errors."""

from __future__ import annotations

import json

from harvester.fake_server import FakeRequest, FakeResponse, FakeServer, json_response
from tests.conftest import fixture_path

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


class FakeYouTube(FakeServer):
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

    def handle(self, request: FakeRequest) -> FakeResponse:
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
