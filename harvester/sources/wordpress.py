"""``wordpress_comments``: ``{site}/wp-json/wp/v2/comments``, newest first, X-WP-TotalPages."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from harvester.exceptions import BadResponse
from harvester.http import PoliteSession
from harvester.models import Post, author_ref
from harvester.sources.base import (
    Page,
    Parsed,
    SourceConfig,
    by_publisher,
    parse_items,
    parse_time,
    publisher_set,
    register,
    unique,
    utcnow,
)
from harvester.text import html_to_text

log = logging.getLogger(__name__)
DEFAULT_MAX_PAGES = 50


def parse_comments(
    data: Any,
    *,
    source: str,
    key: bytes,
    fetched_at: datetime,
    where: str = "comments",
    publisher: frozenset[str] = frozenset(),
) -> Parsed:
    """Posts of one comments response (a JSON list); BadResponse if it is not a list; a
    malformed comment is skipped and counted.

    A comment by a registered user (``author`` > 0) whose id or name is in ``publisher`` (the
    site's authors) is marked ``by_publisher``; a guest's typed name never is."""
    if not isinstance(data, list):
        raise BadResponse(f"{source}: expected a JSON list of comments, got {type(data).__name__}")

    def one(item: dict[str, Any]) -> Post | None:
        if item.get("status", "approved") != "approved":
            return None
        text = html_to_text((item.get("content") or {}).get("rendered") or "")
        if not text:
            return None
        author = str(item["author"]) if item.get("author") else item.get("author_name")
        own = bool(item.get("author")) and by_publisher(publisher, author, item.get("author_name"))
        parent = item.get("parent")
        return Post(
            source=source,
            external_id=str(item["id"]),
            url=item.get("link"),
            author_ref=author_ref(key, author),
            text=text,
            created_at=parse_time(item["date_gmt"] + "Z"),
            fetched_at=fetched_at,
            parent_external_id=str(parent) if parent else f"post:{item.get('post')}",
            raw=json.dumps(
                {k: item.get(k) for k in ("id", "post", "parent", "date_gmt", "link", "content")},
                ensure_ascii=False,
            ),
            by_publisher=own,
        )

    return parse_items(data, one, source=source, where=where)


class WordPressCommentsConfig(SourceConfig):
    """Comments of a WordPress site through ``/wp-json/wp/v2/comments``."""

    default_rate: ClassVar[float] = 2.0
    type: Literal["wordpress_comments"]
    base_url: str  # type: ignore[assignment]  # required: the site itself
    post: int | None = Field(None, description="Only the comments of this post id.")
    per_page: int = Field(100, ge=1, le=100)


# Comment ids grow with time, so a run reads pages until it reaches the highest id stored; that id
# moves forward only with the run's last page (a crash re-reads from page 1, nothing is skipped).
@register(WordPressCommentsConfig)
class WordPressCommentsSource:
    """Comments of one WordPress site (optionally of one post)."""

    def __init__(self, config: WordPressCommentsConfig, *, http: PoliteSession, author_key: bytes):
        self.config = config
        self.name = config.name
        self.http = http
        self.key = author_key
        self.endpoint = f"{config.api_url}/wp-json/wp/v2/comments"
        http.set_rate(config.api_url, config.rate)

    def check(self) -> str:
        response = self.http.get(self.endpoint, params={"per_page": 1}, expect_json=True)
        response.raise_for_status()
        return f"{response.headers.get('X-WP-Total', '?')} comments published"

    def _publisher(self) -> frozenset[str]:
        """The site's authors (``/wp/v2/users`` lists those with published posts) and the
        configured accounts; a site that hides its users leaves only the configured ones."""
        configured = publisher_set(*self.config.publisher_accounts)
        url = f"{self.config.api_url}/wp-json/wp/v2/users"
        response = self.http.get(url, params={"per_page": 100, "_fields": "id"}, expect_json=True)
        users = response.json() if response.status < 400 else None
        if not isinstance(users, list):
            log.info("%s: the site does not list its authors (HTTP %s)", self.name, response.status)
            return configured
        ids = (str(u.get("id")) for u in users if isinstance(u, dict) and u.get("id"))
        return configured | publisher_set(*ids)

    def fetch(
        self, cursor: dict[str, Any] | None, *, since: datetime | None = None
    ) -> Iterator[Page]:
        old = dict(cursor or {})
        floor = None if since else old.get("max_id")
        highest = old.get("max_id") or 0
        page, total = 1, 1
        pending: Parsed | None = None
        limit = self.config.max_pages or DEFAULT_MAX_PAGES
        publisher = self._publisher()
        while page <= min(total, limit):
            params: dict[str, Any] = {
                "per_page": self.config.per_page,
                "page": page,
                "orderby": "id",
                "order": "desc",
            }
            if self.config.post is not None:
                params["post"] = self.config.post
            if since is not None:
                params["after"] = since.strftime("%Y-%m-%dT%H:%M:%S")
            response = self.http.get(self.endpoint, params=params, expect_json=True)
            response.raise_for_status()
            total = int(response.headers.get("X-WP-TotalPages") or 1)
            posts = parse_comments(
                response.json(),
                source=self.name,
                key=self.key,
                fetched_at=utcnow(),
                where=f"comments page {page}",
                publisher=publisher,
            )
            if pending is not None:
                yield Page(unique(pending, source=self.name), old, pending.skipped)
            pending = posts
            ids = [int(p.external_id) for p in posts]
            highest = max([highest, *ids])
            if floor is not None and ids and min(ids) <= floor:
                break
            page += 1
        last = pending if pending is not None else Parsed()
        yield Page(unique(last, source=self.name), {"max_id": highest or None}, last.skipped)
