"""``feed``: any RSS/Atom feed, Blogger comment feeds (``/feeds/comments/default``) above all."""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from xml.etree import ElementTree

import feedparser
from pydantic import Field

from harvester.exceptions import BadResponse
from harvester.http import PoliteSession
from harvester.models import Post, author_ref
from harvester.sources.base import (
    Page,
    Parsed,
    SourceConfig,
    by_publisher,
    derived_id,
    parse_items,
    publisher_set,
    register,
    unique,
    utcnow,
)
from harvester.text import html_to_text

log = logging.getLogger(__name__)
DEFAULT_MAX_PAGES = 10
ATOM = "http://www.w3.org/2005/Atom"
GD = "http://schemas.google.com/g/2005"
# What Blogger shows in place of a removed comment (English and Indonesian interface).
REMOVED_TEXTS = frozenset(
    {
        "this comment has been removed by the author.",
        "this comment has been removed by a blog administrator.",
        "komentar ini telah dihapus oleh pengarang.",
        "komentar ini telah dihapus oleh administrator blog.",
    }
)
_BLOGGER_ID = re.compile(r"^(tag:blogger\.com,1999:blog-\d+\.post-)\d+$")


def _entry_time(entry: Any) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if stamp is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(stamp), UTC)


def _parent(entry: Any, external_id: str) -> str | None:
    """Blogger: a reply links its parent comment (rel=related); else the article it answers."""
    match = _BLOGGER_ID.match(external_id)
    for link in entry.get("links", []):
        if link.get("rel") == "related" and match:
            return match.group(1) + link["href"].rstrip("/").rsplit("/", 1)[-1]
    reply_to = entry.get("thr_in-reply-to") or {}
    return reply_to.get("ref") or reply_to.get("href")


def alternate_link(entry: Any) -> str | None:
    """The entry's ``rel=alternate`` web page. feedparser falls back to the entry's ``id`` when
    there is none, and a Blogger id (``tag:blogger.com,1999:...``) is no address."""
    for link in entry.get("links", []):
        href = link.get("href") or ""
        if link.get("rel", "alternate") == "alternate" and href.startswith(("http://", "https://")):
            return href
    return None


def removed_entries(content: bytes) -> set[str]:
    """Ids of entries Blogger marks ``<gd:extendedProperty name="blogger.contentRemoved">``: the
    comment was deleted and its text is only "This comment has been removed by ...". feedparser
    keeps one extendedProperty per entry, so the document is read once more for them."""
    removed: set[str] = set()
    if b"blogger.contentRemoved" not in content:
        return removed
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return removed
    for entry in root.iter(f"{{{ATOM}}}entry"):
        names = {p.get("name") for p in entry.iter(f"{{{GD}}}extendedProperty")}
        if "blogger.contentRemoved" in names:
            removed.add((entry.findtext(f"{{{ATOM}}}id") or "").strip())
    return removed


def _feed_author(parsed: Any) -> frozenset[str]:
    """The feed's own author (a Blogger comment feed names the blog's): profile URL, else name."""
    author = parsed.feed.get("author_detail") or {}
    return publisher_set(author.get("href") or author.get("name"))


def parse_feed(
    content: bytes,
    *,
    source: str,
    key: bytes,
    fetched_at: datetime,
    url: str = "",
    content_type: str | None = None,
    publisher: frozenset[str] = frozenset(),
) -> tuple[Parsed, str | None]:
    """Posts of one feed document and its ``rel=next`` link. BadResponse if it is malformed;
    an entry without a date is skipped and counted; removed comments are left out.

    An entry by the feed's own author (the blog's, compared by profile URL when the feed gives
    one) or by one of ``publisher`` is marked ``by_publisher``."""
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(content, response_headers=headers)
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(problem, feedparser.NonXMLContentType):
        raise BadResponse(f"{url}: the feed is malformed ({problem}); nothing stored", url=url)
    removed = removed_entries(content)
    own = publisher | _feed_author(parsed)

    def one(entry: Any) -> Post | None:
        fragments = entry.get("content") or [{"value": entry.get("summary", "")}]
        text = html_to_text(fragments[0].get("value") or "")
        if entry.get("id") in removed or text.casefold() in REMOVED_TEXTS:
            log.info(
                "%s: feed entry %s was removed by its author or the blog; skipped",
                source,
                entry.get("id"),
            )
            return None
        created = _entry_time(entry)
        if created is None:
            raise ValueError("the entry has no published or updated date")
        if not text:
            return None
        author = entry.get("author_detail") or {}
        link = alternate_link(entry)
        external_id = entry.get("id") or link or derived_id(url, text, str(created))
        return Post(
            source=source,
            external_id=external_id,
            url=link,
            author_ref=author_ref(key, author.get("href") or author.get("name")),
            text=text,
            created_at=created,
            fetched_at=fetched_at,
            parent_external_id=_parent(entry, external_id),
            raw=None,
            by_publisher=by_publisher(own, author.get("href"), author.get("name")),
        )

    posts = parse_items(parsed.entries, one, source=source, where=url or "feed")
    next_url = next(
        (x["href"] for x in parsed.feed.get("links", []) if x.get("rel") == "next"), None
    )
    return posts, next_url


class FeedConfig(SourceConfig):
    """An RSS or Atom feed (Blogger comment feeds in particular)."""

    default_rate: ClassVar[float] = 1.0
    type: Literal["feed"]
    url: str = Field(pattern=r"^https?://")


# Conditional GET (``If-None-Match`` / ``If-Modified-Since``) on the first page; ``rel=next`` pages
# are followed until entries older than the newest one stored. The new ETag is saved only with the
# run's last page: a crash in between re-reads the feed instead of skipping what was not stored.
@register(FeedConfig)
class FeedSource:
    """An RSS/Atom feed read with conditional GET."""

    def __init__(self, config: FeedConfig, *, http: PoliteSession, author_key: bytes):
        self.config = config
        self.name = config.name
        self.http = http
        self.key = author_key
        self.publisher = publisher_set(*config.publisher_accounts)
        http.set_rate(config.url, config.rate)

    def check(self) -> str:
        response = self.http.get(self.config.url)
        response.raise_for_status()
        posts, _ = parse_feed(
            response.content,
            source=self.name,
            key=self.key,
            fetched_at=utcnow(),
            url=self.config.url,
            content_type=response.headers.get("Content-Type"),
        )
        return f"feed answers, {len(posts)} entries on its first page"

    def fetch(
        self, cursor: dict[str, Any] | None, *, since: datetime | None = None
    ) -> Iterator[Page]:
        old = dict(cursor or {})
        headers = {}
        if since is None and old.get("etag"):
            headers["If-None-Match"] = old["etag"]
        if since is None and old.get("modified"):
            headers["If-Modified-Since"] = old["modified"]
        floor = since.timestamp() if since else old.get("newest")
        url: str | None = self.config.url
        first = None
        newest = old.get("newest")
        pages_left = self.config.max_pages or DEFAULT_MAX_PAGES
        pending: Parsed | None = None
        while url and pages_left:
            response = self.http.get(url, headers=headers if first is None else None)
            if response.status == 304:
                log.info("%s: not modified since the last run", self.name)
                yield Page((), old)
                return
            response.raise_for_status()
            first = first or response
            posts, url = parse_feed(
                response.content,
                source=self.name,
                key=self.key,
                fetched_at=utcnow(),
                url=self.config.url,
                content_type=response.headers.get("Content-Type"),
                publisher=self.publisher,
            )
            pages_left -= 1
            if pending is not None:
                yield Page(unique(pending, source=self.name), old, pending.skipped)
            pending = posts
            stamps = [p.created_at.timestamp() for p in posts]
            if stamps:
                newest = max(stamps) if newest is None else max(newest, *stamps)
            if floor is not None and stamps and min(stamps) <= floor:
                break
        final = {"newest": newest}
        if first is not None:
            final["etag"] = first.headers.get("ETag")
            final["modified"] = first.headers.get("Last-Modified")
        last = pending if pending is not None else Parsed()
        yield Page(unique(last, source=self.name), final, last.skipped)
