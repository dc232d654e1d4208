"""``facebook_page``: a public Page's posts (``/{page-id}/feed``) and all their comments."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field

from harvester.exceptions import BadResponse, FetchFailed, TokenInvalid
from harvester.http import HttpResponse, PoliteSession
from harvester.models import Post, author_ref
from harvester.sources.base import (
    Page,
    Parsed,
    SourceConfig,
    by_publisher,
    derived_id,
    parse_items,
    parse_time,
    photo_url,
    photos_of,
    publisher_set,
    register,
    unique,
    utcnow,
)

log = logging.getLogger(__name__)

THROTTLE_CODES = frozenset({4, 17, 32, 613})
TOKEN_CODES = frozenset({102, 104, 190})
USAGE_HEADERS = ("X-App-Usage", "X-Page-Usage", "X-Business-Use-Case-Usage")
USAGE_LIMIT = 90
USAGE_PAUSE_S = 60.0
# Photos: a post's ``attachments`` (StoryAttachment: ``media_type`` photo / album with
# ``subattachments``, ``media.image.src``), a comment's single ``attachment``.
ATTACHMENT_FIELDS = "media_type,media,subattachments{media_type,media}"
FEED_FIELDS = f"id,message,created_time,permalink_url,from,attachments{{{ATTACHMENT_FIELDS}}}"
COMMENT_FIELDS = (
    "id,message,created_time,from,parent{id},permalink_url,attachment{media_type,media}"
)
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


def story_photos(attachments: Any, *, source: str, where: str, counts: Parsed) -> tuple[str, ...]:
    """The photos of a post's ``attachments.data`` (or a comment's one ``attachment``): a
    ``photo``'s image, an ``album``'s photos; videos, shared links and stickers give none (their
    image is a thumbnail or a preview, not what was photographed)."""
    if isinstance(attachments, dict) and "data" not in attachments:
        attachments = [attachments]  # a comment's attachment is one StoryAttachment
    elif isinstance(attachments, dict):
        attachments = attachments["data"]

    def one(attachment: dict[str, Any]) -> str | list[str] | None:
        kind = attachment.get("media_type")
        if kind == "photo":
            return photo_url(attachment["media"]["image"]["src"])
        if kind == "album":
            inner = (attachment.get("subattachments") or {}).get("data")
            return list(story_photos(inner, source=source, where=where, counts=counts))
        return None

    return photos_of(attachments, one, source=source, where=where, counts=counts)


def parse_feed(
    data: dict[str, Any],
    *,
    source: str,
    key: bytes,
    fetched_at: datetime,
    where: str = "feed",
    publisher: frozenset[str] = frozenset(),
) -> Parsed:
    """Posts of one ``/feed`` response (items without text are skipped; malformed ones counted).
    A post whose ``from.id`` is the Page's (the prefix of its id) or in ``publisher`` is marked
    ``by_publisher``. Its photos are those of its ``attachments`` (``story_photos``)."""
    media = Parsed()  # counts the malformed media entries

    def one(item: dict[str, Any]) -> Post | None:
        message = (item.get("message") or "").strip()
        if not message:
            return None
        author = (item.get("from") or {}).get("id")
        own = publisher | publisher_set(page_of(item["id"]))
        where_media = f"the attachments of {item['id']}"
        return Post(
            source=source,
            external_id=item["id"],
            url=item.get("permalink_url"),
            author_ref=_author_ref(key, author),
            text=message,
            created_at=parse_time(item["created_time"]),
            fetched_at=fetched_at,
            raw=_raw(item),
            by_publisher=by_publisher(own, author),
            photo_urls=story_photos(
                item.get("attachments"), source=source, where=where_media, counts=media
            ),
        )

    parsed = parse_items(data.get("data") or [], one, source=source, where=where)
    parsed.skipped += media.skipped
    return parsed


def object_id(post_id: str) -> str:
    """The post's own object id: ``{page-id}_{object-id}`` -> ``{object-id}``."""
    return post_id.rsplit("_", 1)[-1]


def permalink_ids(url: str | None) -> tuple[str | None, str | None]:
    """``comment_id`` and ``reply_comment_id`` of a comment's ``permalink_url``.

    A top-level comment's link carries ``comment_id`` (itself); a reply's carries ``comment_id``
    (the comment it answers) and ``reply_comment_id`` (itself). Graph API reference, Comment
    ``permalink_url``; the same query shape is on every comment link facebook.com shows.
    """
    if not url or "comment_id=" not in url:
        return None, None
    query = parse_qs(urlsplit(url).query)

    def first(name: str) -> str | None:
        value = (query.get(name) or [None])[0]
        return value if value and value.isdigit() else None

    return first("comment_id"), first("reply_comment_id")


def comment_id(item: dict[str, Any], *, post_id: str, ordinal: int = 0) -> str:
    """The comment's id; when Graph withholds it (tokens without the MODERATE task on the Page,
    since 2021), the one its ``permalink_url`` names (``{object-id}_{comment-id}``, the shape of
    Graph's own comment ids), else one derived from fields an edit does not change.

    ``ordinal`` tells apart comments with the same derived inputs in one response.
    """
    if item.get("id"):
        return str(item["id"])
    top, reply = permalink_ids(item.get("permalink_url"))
    if reply or top:
        return f"{object_id(post_id)}_{reply or top}"
    author = (item.get("from") or {}).get("id")
    parent = (item.get("parent") or {}).get("id") or post_id
    extra = (str(ordinal),) if ordinal else ()
    return derived_id(post_id, parent, item.get("created_time"), author, *extra)


def comment_parent(item: dict[str, Any], *, post_id: str) -> str:
    """The comment a reply answers (``parent``, else the link's ``comment_id``), or the post."""
    parent = (item.get("parent") or {}).get("id")
    if parent:
        return str(parent)
    top, reply = permalink_ids(item.get("permalink_url"))
    if reply and top:
        return f"{object_id(post_id)}_{top}"
    return post_id


def comment_ids(items: list[dict[str, Any]], *, post_id: str) -> list[str]:
    """``comment_id`` of each item of one response (derived ids told apart by their ordinal)."""
    seen: dict[str, int] = {}
    ids = []
    for item in items:
        if not isinstance(item, dict):
            ids.append("")
            continue
        base = comment_id(item, post_id=post_id)
        ordinal = seen.get(base, 0)
        seen[base] = ordinal + 1
        ids.append(base if ordinal == 0 else comment_id(item, post_id=post_id, ordinal=ordinal))
    return ids


def parse_comments(
    data: dict[str, Any],
    *,
    post_id: str,
    source: str,
    key: bytes,
    fetched_at: datetime,
    publisher: frozenset[str] = frozenset(),
) -> Parsed:
    """Comments of one ``/{post-id}/comments`` response; ids withheld by Graph are recovered
    from ``permalink_url`` or derived; replies point at the comment they answer. A comment whose
    ``from.id`` is the Page's (or in ``publisher``) is marked ``by_publisher``."""
    own = publisher | publisher_set(page_of(post_id))
    items = data.get("data") or []
    ids = iter(comment_ids(items, post_id=post_id) if isinstance(items, list) else [])
    media = Parsed()

    def one(item: dict[str, Any]) -> Post | None:
        external_id = next(ids, "")
        author = (item.get("from") or {}).get("id")
        message = (item.get("message") or "").strip()
        if not message:
            return None
        return Post(
            source=source,
            external_id=external_id,
            url=item.get("permalink_url"),
            author_ref=_author_ref(key, (item.get("from") or {}).get("id")),
            text=message,
            created_at=parse_time(item["created_time"]),
            fetched_at=fetched_at,
            parent_external_id=comment_parent(item, post_id=post_id),
            raw=_raw(item),
            by_publisher=by_publisher(own, author),
            photo_urls=story_photos(
                item.get("attachment"),
                source=source,
                where=f"the attachment of comment {external_id}",
                counts=media,
            ),
        )

    parsed = parse_items(items, one, source=source, where=f"the comments of {post_id}")
    parsed.skipped += media.skipped
    return parsed


def _raw(item: dict[str, Any]) -> str:
    # The author's name and id stay out of the stored raw JSON (author_ref is the pseudonym);
    # embedded comments are stored as Posts of their own.
    kept = {k: v for k, v in item.items() if k not in ("from", "comments")}
    return json.dumps(kept, ensure_ascii=False)


def without_token(url: str) -> str:
    """``url`` without ``access_token``: Graph puts it into ``paging.next``; the session sends
    the token as a header, and a stored cursor or a log line must never hold it."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if k != "access_token"]
    if len(kept) == len(query):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


class FacebookPageConfig(SourceConfig):
    """A public Facebook Page through the Graph API: its posts and all their comments."""

    default_base_url: ClassVar[str] = "https://graph.facebook.com/v21.0"
    default_rate: ClassVar[float] = 5.0
    needs_token: ClassVar[bool] = True
    type: Literal["facebook_page"]
    page_id: str = Field(min_length=1)
    limit: int = Field(50, ge=1, le=100)
    comment_limit: int = Field(100, ge=1, le=100)
    lookback_hours: float = Field(48, ge=0, description="Re-read comments of posts this recent.")
    embed_comments: bool = Field(
        True, description="Ask for the first comments inside the feed request (field expansion)."
    )


# Comments are read with ``filter=stream`` (nested replies included, each with its ``parent``).
# Incremental by ``since``: a run starts at the newest post seen minus ``lookback_hours`` (so new
# comments under recent posts are picked up). The cursor of every stored page names the feed page
# being read (``run.after``), so a crash resumes there; the last page of a run closes it.
@register(FacebookPageConfig)
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
        url: str | None = None  # None: the first feed page, asked with our own parameters
        after: str | None = None
        if run:
            run_since, after = run.get("since"), run.get("after")  # "after": cursors before v2
            url = self._resumable(run.get("next"))
        elif since is not None:
            run_since = int(since.timestamp())
        elif newest is not None:
            run_since = int(newest - self.config.lookback_hours * 3600)
        else:
            run_since = None
        while True:
            if url is None:
                data = self._get(self._feed_url, self._feed_params(run_since, after))
            else:
                data = self._get(url, None)
            items = data.get("data") or []
            newest = _newest(items, newest)
            here = {"newest": newest, "run": {"since": run_since, "next": url}}
            page = parse_feed(
                data,
                source=self.name,
                key=self.key,
                fetched_at=utcnow(),
                where=url or "feed",
                publisher=self.publisher,
            )
            buffer: list[Post] = list(page)
            skipped = page.skipped
            for item in items:
                if not isinstance(item, dict) or not item.get("id"):
                    continue
                for comments in self._item_comments(item):
                    buffer.extend(comments)
                    skipped += comments.skipped
                    if len(buffer) >= BATCH:
                        yield Page(unique(buffer, source=self.name), here, skipped)
                        buffer, skipped = [], 0
            next_url = self._next(data, url or self._feed_url) if items else None
            if next_url is not None:
                url = next_url
                after_page = {"newest": newest, "run": {"since": run_since, "next": url}}
                yield Page(unique(buffer, source=self.name), after_page, skipped)
                continue
            yield Page(unique(buffer, source=self.name), {"newest": newest, "run": None}, skipped)
            return

    @property
    def _feed_url(self) -> str:
        return f"{self.config.api_url}/{self.config.page_id}/feed"

    def _feed_params(self, since: int | None, after: str | None) -> dict[str, Any]:
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
        return params

    def _comment_params(self) -> dict[str, Any]:
        return {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "chronological",
            "limit": self.config.comment_limit,
        }

    def _next(self, data: dict[str, Any], current: str) -> str | None:
        """``paging.next`` whatever its shape (cursors, ``until``/``__paging_token``, offset),
        without the token; None at the end. The Graph API documents following it as the way
        to page; a ``next`` equal to the page just read would loop, so it ends the edge."""
        paging = data.get("paging") if isinstance(data, dict) else None
        next_url = paging.get("next") if isinstance(paging, dict) else None
        if not isinstance(next_url, str) or not next_url.startswith(("http://", "https://")):
            return None
        next_url = without_token(next_url)
        if next_url == current:
            log.warning("%s: paging.next repeats the page just read; edge ends here", self.name)
            return None
        return next_url

    def _resumable(self, url: Any) -> str | None:
        """A stored ``next`` URL, if it still points at this source's API (else start over)."""
        if not isinstance(url, str) or not url:
            return None
        if not url.startswith(f"{self.config.api_url}/"):
            log.warning("%s: stored next page is not on %s; starting over", self.name, url)
            return None
        return url

    def _item_comments(self, item: dict[str, Any]) -> Iterator[Parsed]:
        """All comments of a feed item: the embedded ones, then the rest page by page."""
        post_id = str(item["id"])
        if not self.config.embed_comments:
            yield from self._comments(post_id)
            return
        nested = item.get("comments")
        if not isinstance(nested, dict):  # Graph leaves the field out when there are none
            return
        yield parse_comments(
            nested,
            post_id=post_id,
            source=self.name,
            key=self.key,
            fetched_at=utcnow(),
            publisher=self.publisher,
        )
        next_url = self._next(nested, "") if nested.get("data") else None
        if next_url is not None:
            yield from self._comments(post_id, next_url)

    def _comments(self, post_id: str, url: str | None = None) -> Iterator[Parsed]:
        """A post's comments from ``url`` (a ``paging.next``) or from the first page."""
        first = f"{self.config.api_url}/{post_id}/comments"
        while True:
            if url is None:
                data = self._get(first, self._comment_params())
            else:
                # A next URL of an embedded edge may lack filter=stream or fields: add ours.
                data = self._get(url, _missing(url, self._comment_params()))
            yield parse_comments(
                data,
                post_id=post_id,
                source=self.name,
                key=self.key,
                fetched_at=utcnow(),
                publisher=self.publisher,
            )
            next_url = self._next(data, url or first) if data.get("data") else None
            if next_url is None:
                return
            url = next_url

    def _get(self, url: str, params: dict[str, Any] | None) -> dict[str, Any]:
        data = graph_json(
            http=self.http,
            url=url,
            params=params,
            headers=self._headers,
            source=self.name,
            token_env=self.config.token_env,
        )
        if not isinstance(data, dict):
            raise BadResponse(f"{self.name}: Graph answered {type(data).__name__}, not an object")
        return data


def graph_json(
    *,
    http: PoliteSession,
    url: str,
    params: dict[str, Any] | None,
    headers: dict[str, str],
    source: str,
    token_env: str,
    api: str = "Graph API",
    shown_url: str | None = None,
    permission_codes: frozenset[int] = frozenset(),
    permission_help: str = "",
) -> Any:
    """One Graph API GET (Facebook or Instagram): errors raised with what to do, usage paused."""
    shown = url if shown_url is None else shown_url
    response = http.get(
        url, params=params, headers=headers, throttled=throttle_wait, expect_json=True
    )
    error = graph_error(response)
    if error is not None:
        code = error.get("code")
        text = str(error.get("message", "")).rstrip(".")
        message = f"{source}: {api} error {code}: {text}"
        if code in TOKEN_CODES:
            raise TokenInvalid(
                f"{message}. The token in ${token_env} is expired or invalid: "
                "renew it and run again",
                source=source,
                url=shown,
            )
        if code in permission_codes:
            message = f"{message}. Missing permission: {permission_help}"
        raise FetchFailed(message, source=source, url=shown)
    response.raise_for_status()
    percent = usage_percent(response.headers)
    if percent >= USAGE_LIMIT:
        log.warning("%s: API usage at %d%%, pausing %.0f s", source, percent, USAGE_PAUSE_S)
        http.pause(url, USAGE_PAUSE_S)
    return response.json()


def _missing(url: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """``params`` that ``url``'s query does not set already (None when it sets them all)."""
    present = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    extra = {k: v for k, v in params.items() if k not in present and k != "order"}
    return extra or None


def _newest(items: list[Any], newest: int | None) -> int | None:
    for item in items:
        try:
            stamp = int(parse_time(item["created_time"]).timestamp())
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # counted as malformed by parse_feed
        newest = stamp if newest is None else max(newest, stamp)
    return newest
