"""A fake X API v2 recent search: Bearer token, ``since_id``, ``max_results``, ``next_token``,
``x-rate-limit-*`` headers and 429 with ``x-rate-limit-reset``. Like the real API it returns
only ``id``, ``text`` and ``edit_history_tweet_ids`` unless ``tweet.fields`` asks for more (so a
client that does not ask for ``note_tweet`` gets the cut text), and ``includes.media`` only with
``expansions=attachments.media_keys`` (each entry's ``media_key`` and ``type``, its ``url`` only
when ``media.fields`` asks for it), for the posts of the page."""

from __future__ import annotations

import json
import time

from demo.fake_server import FakeRequest, FakeResponse, json_response
from tests.conftest import fixture_path
from tests.fakes.fault_server import FaultServer

DEFAULT_FIELDS = {"id", "text", "edit_history_tweet_ids"}


class FakeX(FaultServer):
    name = "fake-x-api"

    def __init__(
        self, *, token: str = "x-test-token", fixture: str = "search_recent.json", **kw
    ) -> None:
        super().__init__(**kw)
        self.token = token
        recorded = json.loads(fixture_path("x", fixture).read_text("utf-8"))
        self.tweets = recorded["data"]
        self.media = (recorded.get("includes") or {}).get("media", [])
        self.rate_limited = 0
        self.reset_in = 2

    def post(self, tweet: dict) -> None:
        self.tweets.insert(0, tweet)

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return json_response(
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
                401,
            )
        reset = str(int(time.time()) + self.reset_in)
        if self.rate_limited:
            self.rate_limited -= 1
            return json_response(
                {
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                },
                429,
                {
                    "x-rate-limit-limit": "450",
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": reset,
                },
            )
        if request.path != "/2/tweets/search/recent":
            return json_response({"title": "Not Found Error", "status": 404}, 404)
        items = self.tweets
        if "since_id" in request.query:
            items = [t for t in items if int(t["id"]) > int(request.query["since_id"])]
        size = int(request.query.get("max_results", "10"))
        start = int(request.query.get("next_token", "0") or 0)
        wanted = DEFAULT_FIELDS | set(request.query.get("tweet.fields", "").split(","))
        chunk = [{k: v for k, v in t.items() if k in wanted} for t in items[start : start + size]]
        meta = {"result_count": len(chunk)}
        if chunk:
            meta.update(newest_id=chunk[0]["id"], oldest_id=chunk[-1]["id"])
        if start + size < len(items):
            meta["next_token"] = str(start + size)
        body = {"data": chunk, "meta": meta} if chunk else {"meta": meta}
        expansions = set(request.query.get("expansions", "").split(","))
        if chunk and "attachments.media_keys" in expansions:
            body["includes"] = {"media": self._media(items[start : start + size], request)}
        headers = {
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": "449",
            "x-rate-limit-reset": reset,
        }
        return json_response(body, headers=headers)

    def _media(self, tweets: list[dict], request: FakeRequest) -> list[dict]:
        keys = {k for t in tweets for k in (t.get("attachments") or {}).get("media_keys", [])}
        wanted = {"media_key", "type"} | set(request.query.get("media.fields", "").split(","))
        return [
            {k: v for k, v in m.items() if k in wanted}
            for m in self.media
            if m["media_key"] in keys
        ]
