"""``x_search``: X API v2 recent search, polled with ``since_id``, paged with ``next_token``."""

from __future__ import annotations

import html
import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from harvester.exceptions import FetchFailed, TokenInvalid
from harvester.http import HttpResponse, PoliteSession
from harvester.models import MAX_PHOTOS, Post, author_ref
from harvester.sources.base import (
    Page,
    Parsed,
    SourceConfig,
    by_publisher,
    parse_items,
    parse_time,
    photo_url,
    publisher_set,
    register,
    unique,
    utcnow,
)

log = logging.getLogger(__name__)
TWEET_FIELDS = "created_at,author_id,conversation_id,referenced_tweets,lang,note_tweet,attachments"
# Photos come in ``includes.media`` (joined by ``media_key``); the authors' user names in
# ``includes.users``, asked for only when publisher_accounts may name them.
MEDIA = {"expansions": "attachments.media_keys", "media.fields": "url,type"}
EXPANSIONS = {
    "expansions": "attachments.media_keys,author_id",
    "media.fields": "url,type",
    "user.fields": "username",
}
DEFAULT_MAX_PAGES = 20


def rate_limit_wait(response: HttpResponse) -> float | None:
    """Seconds until ``x-rate-limit-reset`` on a 429 (0: the session's backoff)."""
    if response.status != 429:
        return None
    reset = response.headers.get("x-rate-limit-reset")
    if reset and reset.isdigit():
        return max(1.0, int(reset) - time.time())
    return 0.0


def tweet_text(item: dict[str, Any]) -> str:
    """The whole text: ``note_tweet.text`` for posts longer than 280 characters (``text`` is cut
    there), with the ``&amp; &lt; &gt;`` the API escapes turned back into ``& < >``."""
    note = item.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) and note.get("text") else item["text"]
    if not isinstance(text, str):
        raise TypeError(f"text is {type(text).__name__}, not a string")
    return html.unescape(text).replace("\r\n", "\n").strip()


def parse_search(
    data: dict[str, Any],
    *,
    source: str,
    key: bytes,
    fetched_at: datetime,
    where: str = "search",
    publisher: frozenset[str] = frozenset(),
) -> tuple[Parsed, dict[str, Any]]:
    """Posts of one search response, and its ``meta``; an item missing ``id``, ``text`` or
    ``created_at`` is skipped and counted. A post by one of ``publisher`` (the source's
    accounts, by id or user name) is marked ``by_publisher``. Its photos are the ``includes.media``
    of type ``photo`` its ``attachments.media_keys`` name (videos and GIFs give none); a malformed
    media entry is skipped and counted."""
    includes = data.get("includes") or {}
    users = includes.get("users") or []
    names = {u.get("id"): u.get("username") for u in users if isinstance(u, dict)}
    media = parse_items(includes.get("media") or [], _photo, source=source,
                        where=f"{where} includes.media")  # fmt: skip
    photos = dict(media)

    def one(item: dict[str, Any]) -> Post | None:
        author = item.get("author_id")
        parent = next(
            (r["id"] for r in item.get("referenced_tweets") or [] if r.get("type") == "replied_to"),
            None,
        )
        text = tweet_text(item)
        if not text:
            return None
        keys = (item.get("attachments") or {}).get("media_keys")
        keys = [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []
        own_photos = tuple(dict.fromkeys(photos[k] for k in keys if k in photos))
        return Post(
            source=source,
            external_id=str(item["id"]),
            url=f"https://x.com/i/web/status/{item['id']}",
            author_ref=author_ref(key, author),
            text=text,
            created_at=parse_time(item["created_at"]),
            fetched_at=fetched_at,
            parent_external_id=parent,
            raw=json.dumps({k: v for k, v in item.items() if k != "author_id"}, ensure_ascii=False),
            by_publisher=by_publisher(publisher, author, names.get(author)),
            photo_urls=own_photos[:MAX_PHOTOS],
        )

    posts = parse_items(data.get("data") or [], one, source=source, where=where)
    posts.skipped += media.skipped
    return posts, data.get("meta") or {}


def _photo(entry: dict[str, Any]) -> tuple[str, str] | None:
    """``(media_key, url)`` of an ``includes.media`` photo; None for a video or GIF."""
    if entry["type"] != "photo":
        return None
    return str(entry["media_key"]), photo_url(entry["url"])


class XSearchConfig(SourceConfig):
    """X API v2 recent search."""

    default_base_url: ClassVar[str] = "https://api.x.com/2"
    default_rate: ClassVar[float] = 1.0
    needs_token: ClassVar[bool] = True
    type: Literal["x_search"]
    query: str = Field(min_length=1, max_length=512)
    max_results: int = Field(100, ge=10, le=100)


# A 429 waits until ``x-rate-limit-reset``. A stored page's cursor carries the next page's token;
# ``since_id`` moves to the newest id only with the run's last page.
@register(XSearchConfig)
class XSearchSource:
    """Recent posts on X matching a query."""

    def __init__(self, config: XSearchConfig, *, http: PoliteSession, author_key: bytes):
        self.config = config
        self.name = config.name
        self.http = http
        self.key = author_key
        self.publisher = publisher_set(*config.publisher_accounts)
        self.endpoint = f"{config.api_url}/tweets/search/recent"
        self._headers = {"Authorization": f"Bearer {config.token()}"}
        http.set_rate(config.api_url, config.rate)

    def check(self) -> str:
        data = self._get({"query": self.config.query, "max_results": 10})
        return f"search answers, {data.get('meta', {}).get('result_count', 0)} recent results"

    def fetch(
        self, cursor: dict[str, Any] | None, *, since: datetime | None = None
    ) -> Iterator[Page]:
        old = dict(cursor or {})
        run = old.get("run") if since is None else None
        since_id = None if since else old.get("since_id")
        token, newest = None, None
        if run:
            since_id, token, newest = run.get("since_id"), run.get("next_token"), run.get("newest")
        for _ in range(self.config.max_pages or DEFAULT_MAX_PAGES):
            params: dict[str, Any] = {
                "query": self.config.query,
                "max_results": self.config.max_results,
                "tweet.fields": TWEET_FIELDS,
                **(EXPANSIONS if self.publisher else MEDIA),
            }
            if since_id:
                params["since_id"] = since_id
            if since is not None:
                params["start_time"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
            if token:
                params["next_token"] = token
            data = self._get(params)
            posts, meta = parse_search(
                data,
                source=self.name,
                key=self.key,
                fetched_at=utcnow(),
                where=self.endpoint,
                publisher=self.publisher,
            )
            if meta.get("newest_id") and (newest is None or int(meta["newest_id"]) > int(newest)):
                newest = meta["newest_id"]
            token = meta.get("next_token")
            if not token:
                final = {"since_id": newest or since_id, "run": None}
                yield Page(unique(posts, source=self.name), final, posts.skipped)
                return
            run_state = {"since_id": since_id, "next_token": token, "newest": newest}
            yield Page(
                unique(posts, source=self.name),
                {"since_id": since_id, "run": run_state},
                posts.skipped,
            )
        # Page limit reached: the stored cursor keeps the run's next_token; the next run resumes.
        log.info("%s: page limit reached, the next run continues this one", self.name)

    def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        response = self.http.get(
            self.endpoint,
            params=params,
            headers=self._headers,
            throttled=rate_limit_wait,
            expect_json=True,
        )
        if response.status == 401:
            raise TokenInvalid(
                f"{self.name}: X API says 401 Unauthorized: the bearer token in "
                f"${self.config.token_env} is invalid or revoked",
                source=self.name,
                url=self.endpoint,
            )
        if response.status >= 400:
            detail = response.content[:300].decode("utf-8", "replace")
            raise FetchFailed(
                f"{self.name}: X API HTTP {response.status}: {detail}", source=self.name
            )
        return response.json()
