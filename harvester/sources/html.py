"""``html``: comment pages without feed or API, described by CSS selectors; robots.txt is obeyed."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bs4 import BeautifulSoup
from pydantic import BaseModel, ConfigDict, Field, field_validator

from harvester.dates import parse_indonesian, parse_relative, to_english
from harvester.exceptions import FetchFailed, LayoutChanged, RobotsDisallowed
from harvester.http import PoliteSession
from harvester.models import Post, author_ref
from harvester.sources.base import (
    Page,
    Parsed,
    SourceConfig,
    by_publisher,
    derived_id,
    parse_time,
    photo_url,
    photos_of,
    publisher_set,
    register,
    unique,
    utcnow,
)
from harvester.text import html_to_text

log = logging.getLogger(__name__)
ROBOTS_AGENT = "Aduan"
DEFAULT_MAX_PAGES = 5


def _time(
    node: Any, selectors: HtmlSelectors, zone: ZoneInfo, now: datetime
) -> tuple[datetime | None, bool]:
    """The item's time, and whether it is exact (False for "2 jam yang lalu", "kemarin")."""
    element = node.select_one(selectors.time) if selectors.time else None
    if element is None:
        return None, False
    value = element.get(selectors.time_attribute) if selectors.time_attribute else None
    value = (value or element.get_text(" ", strip=True)).strip()
    relative = parse_relative(value, now=now, zone=zone)
    if relative is not None:
        return relative, False
    if selectors.time_format:
        try:
            parsed = datetime.strptime(to_english(value), selectors.time_format)
        except ValueError:
            return None, False
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)), True
    try:
        return parse_time(value), True
    except ValueError:
        return parse_indonesian(value, now=now, zone=zone), True


def _answered(node: Any, items: set[int], parents: set[int] | None) -> Any | None:
    """The item a nested reply answers: the nearest enclosing element that is an item, or with a
    ``parent`` selector, the first item of the nearest enclosing element it matches that is not
    the reply's own (``li.comment`` holding ``article.comment-body`` + ``ol.children``)."""
    for ancestor in node.parents:
        if parents is None:
            if id(ancestor) in items:
                return ancestor
            continue
        if id(ancestor) not in parents:
            continue
        if id(ancestor) in items:
            return ancestor
        first = next((i for i in ancestor.find_all(True) if id(i) in items), None)
        if first is not None and first is not node:
            return first
    return None


def _own_part(node: Any, selectors: HtmlSelectors) -> Any:
    """A copy of an item without the replies nested in it (their text, authors and times)."""
    clone = copy.copy(node)
    nested = selectors.item if not selectors.parent else f"{selectors.item}, {selectors.parent}"
    for reply in clone.select(nested):
        reply.decompose()
    return clone


def _own(node: Any, part: Any, selectors: HtmlSelectors) -> bool:
    """Whether the item is marked as the site's own by the ``publisher`` selector (looked for in
    the item without its nested replies: an admin's reply does not make its parent the site's)."""
    if not selectors.publisher:
        return False
    return (
        bool(node.css.match(selectors.publisher))
        or part.select_one(selectors.publisher) is not None
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
) -> tuple[Parsed, str | None]:
    """Posts of one HTML page and the absolute URL of the next page. LayoutChanged if the
    selectors no longer describe the page. Nested replies point at the comment they answer. An
    item the ``publisher`` selector marks, or whose author is one of ``publisher``, is marked
    ``by_publisher``."""
    soup = BeautifulSoup(content, "html.parser")
    items = soup.select(selectors.item)
    if not items:
        raise LayoutChanged(
            f"{source}: selector item={selectors.item!r} matches nothing on {page_url}: the site's "
            "layout changed? Fix the selectors in sources.yaml; nothing was stored",
            source=source,
            url=page_url,
        )
    item_ids = {id(n) for n in items}
    parents = {id(n) for n in soup.select(selectors.parent)} if selectors.parent else None
    ids: dict[int, str] = {}
    posts, no_text, no_time = Parsed(), 0, 0
    for position, node in enumerate(items, start=1):
        part = _own_part(node, selectors)
        text_node = part.select_one(selectors.text)
        text = html_to_text(text_node.decode_contents()) if text_node is not None else ""
        if not text:
            no_text += 1
            continue
        created, exact = (
            _time(part, selectors, zone, fetched_at) if selectors.time else (fetched_at, False)
        )
        if created is None:
            no_time += 1
            continue
        author_node = part.select_one(selectors.author) if selectors.author else None
        author = author_node.get_text(" ", strip=True) if author_node is not None else None
        link = part.select_one(selectors.permalink) if selectors.permalink else None
        url = urljoin(page_url, link["href"]) if link is not None and link.get("href") else None
        anchor = node.get("id")
        external_id = url or (f"{page_url}#{anchor}" if anchor else None)
        if external_id is None:  # a relative time moves from run to run: not part of the id
            external_id = derived_id(page_url, author, created.isoformat() if exact else None, text)
        ids[id(node)] = external_id
        answered = _answered(node, item_ids, parents)
        mine = _own(node, part, selectors) or by_publisher(publisher, author)
        photos = _photos(part, selectors, page_url, source, f"item {position}", posts)
        if author_node is not None:
            author_node.decompose()  # the name stays out of the stored raw HTML
        try:
            post = Post(
                source=source,
                external_id=external_id,
                url=url,
                author_ref=author_ref(key, author),
                text=text,
                created_at=created.astimezone(UTC),
                fetched_at=fetched_at,
                parent_external_id=ids.get(id(answered)) if answered is not None else None,
                raw=str(part)[:20_000],
                by_publisher=mine,
                photo_urls=photos,
            )
        except ValueError as exc:
            posts.skipped += 1
            log.warning("%s: item %d of %d on %s skipped (%s)", source, position, len(items),
                        page_url, exc)  # fmt: skip
            continue
        posts.append(post)
    _check_layout(source, selectors, page_url, len(items), no_text=no_text, no_time=no_time)
    posts.skipped += no_time  # an item whose time cannot be read is malformed
    link = soup.select_one(selectors.next) if selectors.next else None
    next_url = urljoin(page_url, link["href"]) if link is not None and link.get("href") else None
    return posts, next_url


def _photos(
    part: Any, selectors: HtmlSelectors, page_url: str, source: str, item: str, counts: Parsed
) -> tuple[str, ...]:
    """The absolute links of the item's images the ``photo`` selector matches; an image without
    an http(s) ``src`` (none, a ``data:`` URI) is skipped and counted."""
    if not selectors.photo:
        return ()

    def one(node: Any) -> str:
        src = (node.get("src") or "").strip()
        if not src:
            raise ValueError("the image has no src")
        return photo_url(urljoin(page_url, src))

    where = f"the photos of {item} on {page_url}"
    return photos_of(part.select(selectors.photo), one, source=source, where=where, counts=counts)


def _check_layout(
    source: str, selectors: HtmlSelectors, page_url: str, total: int, *, no_text: int, no_time: int
) -> None:
    for count, what in ((no_text, "text"), (no_time, "time")):
        if count == total:
            raise LayoutChanged(
                f"{source}: selector {what}={getattr(selectors, what)!r} matches nothing usable in "
                f"any of the {count} items on {page_url}: the site's layout changed? "
                "Nothing was stored",
                source=source,
                url=page_url,
            )
        if count:
            log.warning("%s: %d items on %s without %s; skipped", source, count, page_url, what)


class HtmlSelectors(BaseModel):
    """CSS selectors of an HTML comment page."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    item: str
    text: str
    author: str | None = None
    time: str | None = None
    time_format: str | None = Field(
        None,
        description="strptime format; Indonesian month/day names are read with %B %b %A %a. "
        "Without it: ISO 8601, then Indonesian dates ('Senin, 12 Februari 2024 14.30 WITA'). "
        "Relative times ('2 jam yang lalu', 'kemarin 19.05') are read either way.",
    )
    time_attribute: str | None = Field(None, description="Read the time from this attribute.")
    permalink: str | None = None
    next: str | None = None
    parent: str | None = Field(
        None,
        description="Element a nested reply sits in; the first item inside it is the comment "
        "answered (without it: the nearest enclosing item).",
    )
    publisher: str | None = Field(
        None,
        description="An item that matches (or contains a match of) this selector is the site's "
        "own words, e.g. 'li.bypostauthor' or 'span.badge-admin'.",
    )
    photo: str | None = Field(
        None,
        description="Images posted with an item (their 'src', relative links resolved), e.g. "
        "'div.lampiran img'; looked for in the item without its nested replies.",
    )


class HtmlConfig(SourceConfig):
    """Pages without a feed or API, read with CSS selectors; robots.txt is obeyed."""

    default_rate: ClassVar[float] = 0.5
    type: Literal["html"]
    url: str = Field(pattern=r"^https?://")
    selectors: HtmlSelectors
    timezone: str = "Asia/Makassar"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


# A layout change (the item selector, or every item's text or time, matches nothing) stops the
# source with ``LayoutChanged`` and a loud log line: nothing half-parsed is stored. Pages are read
# newest first until items older than the newest stored; the cursor moves with the run's last page.
@register(HtmlConfig)
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
        pending: Parsed | None = None
        visited: set[str] = set()
        for _ in range(self.config.max_pages or DEFAULT_MAX_PAGES):
            if url is None or url in visited:
                break
            visited.add(url)
            posts, url = self._page(url)
            if pending is not None:
                yield Page(unique(pending, source=self.name), old, pending.skipped)
            pending = posts
            for post in posts:
                stamp = post.created_at.isoformat()
                newest = stamp if newest is None or stamp > newest else newest
            if floor is not None and posts and min(p.created_at for p in posts) < floor:
                break
        last = pending if pending is not None else Parsed()
        yield Page(unique(last, source=self.name), {"newest": newest}, last.skipped)

    def _page(self, url: str) -> tuple[Parsed, str | None]:
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
            except FetchFailed as exc:
                if "cannot reach" in str(exc):
                    raise FetchFailed(f"{self.name}: {exc}", source=self.name, url=url) from None
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
