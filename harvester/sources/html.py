"""``html``: comment pages without feed or API, described by CSS selectors; robots.txt is obeyed.

A layout change (the item selector, or every item's text or time, matches nothing) stops the
source with ``LayoutChanged`` and a loud log line: nothing half-parsed is stored. Pages are read
newest first until items older than the newest stored; the cursor moves with the run's last page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup

from harvester.config import HtmlConfig, HtmlSelectors
from harvester.exceptions import FetchFailed, LayoutChanged, RobotsDisallowed
from harvester.http import PoliteSession
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
from harvester.text import html_to_text

log = logging.getLogger(__name__)
ROBOTS_AGENT = "Aduan"
DEFAULT_MAX_PAGES = 5


def _time(node: Any, selectors: HtmlSelectors, zone: ZoneInfo) -> datetime | None:
    element = node.select_one(selectors.time) if selectors.time else None
    if element is None:
        return None
    value = element.get(selectors.time_attribute) if selectors.time_attribute else None
    value = (value or element.get_text(" ", strip=True)).strip()
    try:
        if selectors.time_format:
            return datetime.strptime(value, selectors.time_format).replace(tzinfo=zone)
        return parse_time(value)
    except ValueError:
        return None


def _own(node: Any, selectors: HtmlSelectors) -> bool:
    """Whether the item is marked as the site's own by the ``publisher`` selector."""
    if not selectors.publisher:
        return False
    return (
        bool(node.css.match(selectors.publisher))
        or node.select_one(selectors.publisher) is not None
    )


def parse_page(
    content: str,
    *,
    page_url: str,
    selectors: HtmlSelectors,
    source: str,
    key: bytes,
    fetched_at: datetime,
    zone: ZoneInfo = ZoneInfo("UTC"),
    publisher: frozenset[str] = frozenset(),
) -> tuple[list[Post], str | None]:
    """Posts of one HTML page and the absolute URL of the next page. LayoutChanged if the
    selectors no longer describe the page. An item the ``publisher`` selector marks, or whose
    author is one of ``publisher``, is marked ``by_publisher``."""
    soup = BeautifulSoup(content, "html.parser")
    items = soup.select(selectors.item)
    if not items:
        raise LayoutChanged(
            f"{source}: selector item={selectors.item!r} matches nothing on {page_url}: the site's "
            "layout changed? Fix the selectors in sources.yaml; nothing was stored",
            source=source,
            url=page_url,
        )
    posts, no_text, no_time = [], 0, 0
    for node in items:
        text_node = node.select_one(selectors.text)
        text = html_to_text(text_node.decode_contents()) if text_node is not None else ""
        if not text:
            no_text += 1
            continue
        created = _time(node, selectors, zone) if selectors.time else fetched_at
        if created is None:
            no_time += 1
            continue
        author_node = node.select_one(selectors.author) if selectors.author else None
        author = author_node.get_text(" ", strip=True) if author_node is not None else None
        link = node.select_one(selectors.permalink) if selectors.permalink else None
        url = urljoin(page_url, link["href"]) if link is not None and link.get("href") else None
        own = _own(node, selectors) or by_publisher(publisher, author)
        if author_node is not None:
            author_node.decompose()  # the name stays out of the stored raw HTML
        post = build_post(
            source=source,
            external_id=url or derived_id(page_url, author, created.isoformat(), text),
            url=url,
            author_ref=author_ref(key, author),
            text=text,
            created_at=created.astimezone(UTC),
            fetched_at=fetched_at,
            raw=str(node)[:20_000],
            by_publisher=own,
        )
        if post is not None:
            posts.append(post)
    for count, what in ((no_text, "text"), (no_time, "time")):
        if count == len(items):
            raise LayoutChanged(
                f"{source}: selector {what}={getattr(selectors, what)!r} matches nothing usable in "
                f"any of the {count} items on {page_url}: the site's layout changed? "
                "Nothing was stored",
                source=source,
                url=page_url,
            )
        if count:
            log.warning("%s: %d items on %s without %s; skipped", source, count, page_url, what)
    link = soup.select_one(selectors.next) if selectors.next else None
    next_url = urljoin(page_url, link["href"]) if link is not None and link.get("href") else None
    return posts, next_url


class HtmlSource:
    """Comment pages read with CSS selectors."""

    def __init__(self, config: HtmlConfig, *, http: PoliteSession, author_key: bytes):
        self.config = config
        self.name = config.name
        self.http = http
        self.key = author_key
        self.zone = ZoneInfo(config.timezone)
        self.publisher = publisher_set(*config.publisher_accounts)
        self._robots: RobotFileParser | None = None
        http.set_rate(config.url, config.rate)

    def check(self) -> str:
        posts, _ = self._page(self.config.url)
        return f"{len(posts)} items on the first page"

    def fetch(
        self, cursor: dict[str, Any] | None, *, since: datetime | None = None
    ) -> Iterator[Page]:
        old = dict(cursor or {})
        floor = since or (parse_time(old["newest"]) if old.get("newest") else None)
        newest = old.get("newest")
        url: str | None = self.config.url
        pending: tuple[Post, ...] | None = None
        visited: set[str] = set()
        for _ in range(self.config.max_pages or DEFAULT_MAX_PAGES):
            if url is None or url in visited:
                break
            visited.add(url)
            posts, url = self._page(url)
            if pending is not None:
                yield Page(pending, old)
            pending = unique(posts, source=self.name)
            for post in posts:
                stamp = post.created_at.isoformat()
                newest = stamp if newest is None or stamp > newest else newest
            if floor is not None and posts and min(p.created_at for p in posts) < floor:
                break
        yield Page(pending or (), {"newest": newest})

    def _page(self, url: str) -> tuple[list[Post], str | None]:
        self._obey_robots(url)
        response = self.http.get(url)
        response.raise_for_status()
        charset = response.headers.get("Content-Type", "").partition("charset=")[2].strip() or None
        return parse_page(
            response.text(charset),
            page_url=url,
            selectors=self.config.selectors,
            source=self.name,
            key=self.key,
            fetched_at=utcnow(),
            zone=self.zone,
            publisher=self.publisher,
        )

    def _obey_robots(self, url: str) -> None:
        if self._robots is None:
            parts = urlsplit(url)
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            robots = RobotFileParser(robots_url)
            try:
                response = self.http.get(robots_url)
            except FetchFailed:
                response = None
            if response is None or response.status >= 500:
                robots.disallow_all = True  # RFC 9309: unreachable robots.txt means "do not crawl"
            elif response.status >= 400:
                robots.allow_all = True  # no robots.txt: everything is allowed
            else:
                robots.parse(response.content.decode("utf-8", "replace").splitlines())
                delay = robots.crawl_delay(ROBOTS_AGENT)
                if delay:
                    self.http.set_rate(url, 1.0 / float(delay))
            self._robots = robots
        if not self._robots.can_fetch(ROBOTS_AGENT, url):
            raise RobotsDisallowed(
                f"{self.name}: robots.txt of {urlsplit(url).netloc} does not allow {url}",
                source=self.name,
                url=url,
            )
