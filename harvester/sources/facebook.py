"""``facebook_page``: a public Page's posts (``/{page-id}/feed``) and all their comments.

Comments are read with ``filter=stream`` (nested replies included, each with its ``parent``).
Incremental by ``since``: a run starts at the newest post seen minus ``lookback_hours`` (so new
comments under recent posts are picked up). The cursor of every stored page names the feed page
being read (``run.after``), so a crash resumes there; the last page of a run closes it.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from harvester.config import FacebookPageConfig
from harvester.exceptions import FetchFailed, TokenInvalid
from harvester.http import HttpResponse, PoliteSession
from harvester.models import Post, author_ref
from harvester.sources.base import (
    Page,
    build_post,
    by_publisher,
    derived_id,
    parse_time,
    publisher_set,
    unique,
    utcnow,
)

log = logging.getLogger(__name__)

THROTTLE_CODES = frozenset({4, 17, 32, 613})
TOKEN_CODES = frozenset({102, 104, 190})
USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage")
USAGE_LIMIT = 90
USAGE_PAUSE_S = 60.0
FEED_FIELDS = "id,message,created_time,permalink_url,from"
COMMENT_FIELDS = "id,message,created_time,from,parent{id},permalink_url"
BATCH = 500
# Commenters come back again and again: one HMAC per author, not per comment.
_author_ref = functools.lru_cache(maxsize=65_536)(author_ref)


def graph_error(response: HttpResponse) -> dict[str, Any] | None:
    """The ``error`` object of a Graph error response, if it is one."""
    if response.status < 400:
        return None
    try:
        error = response.json().get("error")
    except Exception:  # noqa: BLE001 - a non-JSON error body is just "no Graph error"
        return None
    return error if isinstance(error, dict) else None


def throttle_wait(response: HttpResponse) -> float | None:
    """Graph throttling (codes 4, 17, 32, 613): 0 = back off with the session's schedule."""
    error = graph_error(response)
    if error and error.get("code") in THROTTLE_CODES:
        return 0.0
    return None


def usage_percent(headers: Any) -> int:
    """The highest percentage in the usage headers (0 when absent or unreadable)."""
    highest = 0
    for name in USAGE_HEADERS:
        value = headers.get(name)
        if not value:
            continue
        try:
            data = json.loads(value)
        except ValueError:
            continue
        records = (
            [data]
            if name != "X-Business-Use-Case-Usage"
            else [r for entries in data.values() for r in entries]
        )
        for record in records:
            for key in ("call_count", "total_cputime", "total_time"):
                if isinstance(record.get(key), int | float):
                    highest = max(highest, int(record[key]))
    return highest


def page_of(post_id: str) -> str | None:
    """The Page a feed item belongs to: Graph names them ``{page-id}_{post-id}``."""
    page, sep, _ = post_id.partition("_")
    return page if sep and page else None


def parse_feed(
    data: dict[str, Any],
    *,
    source: str,
    key: bytes,
    fetched_at: datetime,
    publisher: frozenset[str] = frozenset(),
) -> list[Post]:
    """Posts of one ``/feed`` response (items without text are skipped). A post whose ``from.id``
    is the Page's (the prefix of its id) or in ``publisher`` is marked ``by_publisher``."""
    posts = []
    for item in data.get("data", []):
        message = (item.get("message") or "").strip()
        if not message or not item.get("id"):
            continue
        author = (item.get("from") or {}).get("id")
        own = publisher | publisher_set(page_of(item["id"]))
        post = build_post(
            source=source,
            external_id=item["id"],
            url=item.get("permalink_url"),
            author_ref=_author_ref(key, author),
            text=message,
            created_at=parse_time(item["created_time"]),
            fetched_at=fetched_at,
            raw=_raw(item),
            by_publisher=by_publisher(own, author),
        )
        if post is not None:
            posts.append(post)
    return posts


def comment_id(item: dict[str, Any], *, post_id: str) -> str:
    """The comment's id, or a stable one derived from what Graph delivered when it withholds ids
    (tokens without the MODERATE task on the Page, since 2021)."""
    if item.get("id"):
        return item["id"]
    author = (item.get("from") or {}).get("id")
    parent = (item.get("parent") or {}).get("id") or post_id
    message = (item.get("message") or "").strip()
    return derived_id(post_id, parent, item.get("created_time"), author, message)


def parse_comments(
    data: dict[str, Any],
    *,
    post_id: str,
    source: str,
    key: bytes,
    fetched_at: datetime,
    publisher: frozenset[str] = frozenset(),
) -> list[Post]:
    """Comments of one ``/{post-id}/comments`` response; ids withheld by Graph are derived.
    A comment whose ``from.id`` is the Page's (or in ``publisher``) is marked ``by_publisher``."""
    own = publisher | publisher_set(page_of(post_id))
    posts = []
    for item in data.get("data", []):
        message = (item.get("message") or "").strip()
        if not message:
            continue
        author = (item.get("from") or {}).get("id")
        parent = (item.get("parent") or {}).get("id") or post_id
        external_id = comment_id(item, post_id=post_id)
        post = build_post(
            source=source,
            external_id=external_id,
            url=item.get("permalink_url"),
            author_ref=_author_ref(key, author),
            text=message,
            created_at=parse_time(item["created_time"]),
            fetched_at=fetched_at,
            parent_external_id=parent,
            raw=_raw(item),
            by_publisher=by_publisher(own, author),
        )
        if post is not None:
            posts.append(post)
    return posts


def _raw(item: dict[str, Any]) -> str:
    # The author's name and id stay out of the stored raw JSON (author_ref is the pseudonym);
    # embedded comments are stored as Posts of their own.
    kept = {k: v for k, v in item.items() if k not in ("from", "comments")}
    return json.dumps(kept, ensure_ascii=False)


class FacebookPageSource:
    """Posts and comments of one Page through the Graph API."""

    def __init__(self, config: FacebookPageConfig, *, http: PoliteSession, author_key: bytes):
        self.config = config
        self.name = config.name
        self.http = http
        self.key = author_key
        self.publisher = publisher_set(config.page_id, *config.publisher_accounts)
        self._headers = {"Authorization": f"Bearer {config.token()}"}
        http.set_rate(config.api_url, config.rate)

    def check(self) -> str:
        data = self._get(f"{self.config.api_url}/{self.config.page_id}", {"fields": "id,name"})
        return f"page {data.get('name')!r} ({data.get('id')})"

    def fetch(
        self, cursor: dict[str, Any] | None, *, since: datetime | None = None
    ) -> Iterator[Page]:
        cursor = cursor or {}
        newest = cursor.get("newest")
        run = cursor.get("run") if since is None else None
        if run:
            run_since, after = run.get("since"), run.get("after")
        elif since is not None:
            run_since, after = int(since.timestamp()), None
        elif newest is not None:
            run_since, after = int(newest - self.config.lookback_hours * 3600), None
        else:
            run_since, after = None, None
        while True:
            data = self._feed_page(run_since, after)
            for item in data.get("data", []):
                stamp = int(parse_time(item["created_time"]).timestamp())
                newest = stamp if newest is None else max(newest, stamp)
            here = {"newest": newest, "run": {"since": run_since, "after": after}}
            buffer: list[Post] = []
            for item in data.get("data", []):
                buffer.extend(
                    parse_feed(
                        {"data": [item]},
                        source=self.name,
                        key=self.key,
                        fetched_at=utcnow(),
                        publisher=self.publisher,
                    )
                )
                for comments in self._item_comments(item):
                    buffer.extend(comments)
                    if len(buffer) >= BATCH:
                        yield Page(unique(buffer, source=self.name), here)
                        buffer = []
            paging = data.get("paging") or {}
            next_after = (paging.get("cursors") or {}).get("after")
            if paging.get("next") and next_after:
                after = next_after
                yield Page(
                    unique(buffer, source=self.name),
                    {"newest": newest, "run": {"since": run_since, "after": after}},
                )
                continue
            yield Page(unique(buffer, source=self.name), {"newest": newest, "run": None})
            return

    def _feed_page(self, since: int | None, after: str | None) -> dict[str, Any]:
        fields = FEED_FIELDS
        if self.config.embed_comments:
            # Field expansion: the first comments of every post come with the feed page itself.
            fields += (
                f",comments.filter(stream).limit({self.config.comment_limit}){{{COMMENT_FIELDS}}}"
            )
        params: dict[str, Any] = {"fields": fields, "limit": self.config.limit}
        if since is not None:
            params["since"] = since
        if after:
            params["after"] = after
        return self._get(f"{self.config.api_url}/{self.config.page_id}/feed", params)

    def _item_comments(self, item: dict[str, Any]) -> Iterator[list[Post]]:
        """All comments of a feed item: the embedded ones, then the rest page by page."""
        post_id = item["id"]
        if not self.config.embed_comments:
            yield from self._comments(post_id)
            return
        nested = item.get("comments")
        if not nested:  # Graph leaves the field out when a post has no comments
            return
        yield parse_comments(
            nested,
            post_id=post_id,
            source=self.name,
            key=self.key,
            fetched_at=utcnow(),
            publisher=self.publisher,
        )
        paging = nested.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if paging.get("next") and after:
            yield from self._comments(post_id, after)

    def _comments(self, post_id: str, after: str | None = None) -> Iterator[list[Post]]:
        while True:
            params: dict[str, Any] = {
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "order": "chronological",
                "limit": self.config.comment_limit,
            }
            if after:
                params["after"] = after
            data = self._get(f"{self.config.api_url}/{post_id}/comments", params)
            yield parse_comments(
                data,
                post_id=post_id,
                source=self.name,
                key=self.key,
                fetched_at=utcnow(),
                publisher=self.publisher,
            )
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return

    def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.http.get(
            url, params=params, headers=self._headers, throttled=throttle_wait, expect_json=True
        )
        error = graph_error(response)
        if error is not None:
            code = error.get("code")
            text = str(error.get("message", "")).rstrip(".")
            message = f"{self.name}: Graph API error {code}: {text}"
            if code in TOKEN_CODES:
                raise TokenInvalid(
                    f"{message}. The token in ${self.config.token_env} is expired or invalid: "
                    "renew it and run again",
                    source=self.name,
                    url=url,
                )
            raise FetchFailed(message, source=self.name, url=url)
        response.raise_for_status()
        percent = usage_percent(response.headers)
        if percent >= USAGE_LIMIT:
            log.warning("%s: API usage at %d%%, pausing %.0f s", self.name, percent, USAGE_PAUSE_S)
            self.http.pause(url, USAGE_PAUSE_S)
        return response.json()
