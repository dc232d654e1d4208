"""``instagram_account``: the city's own Instagram professional account through the Graph API."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field

from harvester.http import PoliteSession
from harvester.models import Post, author_ref
from harvester.sources.base import (
    Page,
    Parsed,
    SourceConfig,
    build_post,
    parse_items,
    parse_time,
    photo_url,
    photos_of,
    register,
    unique,
    utcnow,
)
from harvester.sources.facebook import (
    graph_json,
)

log = logging.getLogger(__name__)

# media_url / children: the photos (IMAGE media, IMAGE children of a CAROUSEL_ALBUM).
MEDIA_FIELDS = (
    "id,caption,timestamp,permalink,media_type,media_url,children{media_type,media_url},"
    "comments_count"
)
COMMENT_FIELDS = "id,text,timestamp,username"
PERMISSION_CODES = frozenset({10, *range(200, 300)})
PERMISSIONS_HELP = (
    "the token needs instagram_basic and instagram_manage_comments (Facebook Login, "
    "graph.facebook.com; plus pages_show_list and pages_read_engagement on the linked Page), "
    "or instagram_business_basic and instagram_business_manage_comments (Business Login, "
    "graph.instagram.com)"
)
BATCH = 500
_author_ref = functools.lru_cache(maxsize=65_536)(author_ref)


def without_token(url: str) -> str:
    """``url`` without its ``access_token`` query parameter (Graph puts it into paging.next)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in pairs if k != "access_token"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _raw(item: dict[str, Any]) -> str:
    kept = {k: v for k, v in item.items() if k not in ("username", "from", "replies", "comments")}
    return json.dumps(kept, ensure_ascii=False)


def media_photos(item: dict[str, Any], *, source: str, counts: Parsed) -> tuple[str, ...]:
    """An IMAGE's ``media_url``, a CAROUSEL_ALBUM's IMAGE ``children``; a VIDEO (or a REELS)
    gives none: its ``thumbnail_url`` is a frame chosen by the account, not a photo. Graph
    leaves ``media_url`` out of copyright-flagged media: no photo, not a malformed entry."""

    def one(entry: dict[str, Any]) -> str | None:
        if entry.get("media_type") != "IMAGE" or entry.get("media_url") is None:
            return None
        return photo_url(entry["media_url"])

    where = f"the media of {item.get('id')}"
    if item.get("media_type") == "CAROUSEL_ALBUM":
        children = (item.get("children") or {}).get("data")
        return photos_of(children, one, source=source, where=f"{where} (children)", counts=counts)
    return photos_of([item], one, source=source, where=where, counts=counts)


def parse_media(
    data: dict[str, Any], *, source: str, key: bytes, fetched_at: datetime, owner: str
) -> Parsed:
    """The account's own media of one ``/media`` response (captions; media without one skipped;
    a malformed one, or a malformed photo entry, skipped and counted)."""
    media = Parsed()

    def one(item: dict[str, Any]) -> Post | None:
        caption = (item.get("caption") or "").strip()
        if not caption or not item.get("id"):
            return None
        return Post(
            source=source,
            external_id=item["id"],
            url=item.get("permalink"),
            author_ref=_author_ref(key, owner),
            text=caption,
            created_at=parse_time(item["timestamp"]),
            fetched_at=fetched_at,
            raw=_raw(item),
            by_publisher=True,
            photo_urls=media_photos(item, source=source, counts=media),
        )

    parsed = parse_items(data.get("data", []), one, source=source, where="media")
    parsed.skipped += media.skipped
    return parsed


def parse_comments(
    data: dict[str, Any],
    *,
    parent_id: str,
    url: str | None,
    source: str,
    key: bytes,
    fetched_at: datetime,
    account: str | None,
) -> list[Post]:
    """Comments (or replies) of one ``/comments`` or ``/replies`` response under ``parent_id``.

    A comment written by ``account`` (the account's own username) is the publisher's reply.
    """
    posts = []
    for item in data.get("data", []):
        text = (item.get("text") or "").strip()
        if not text or not item.get("id"):
            continue
        username = item.get("username") or (item.get("from") or {}).get("username")
        post = build_post(
            source=source,
            external_id=item["id"],
            url=url,
            author_ref=_author_ref(key, username),
            text=text,
            created_at=parse_time(item["timestamp"]),
            fetched_at=fetched_at,
            parent_external_id=parent_id,
            raw=_raw(item),
            by_publisher=bool(account) and username == account,
        )
        if post is not None:
            posts.append(post)
    return posts


def _stamp(item: Any) -> int | None:
    """A media's time in seconds, or None for a malformed one (counted by parse_media)."""
    try:
        return int(parse_time(item["timestamp"]).timestamp())
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


class InstagramAccountConfig(SourceConfig):
    """The city's own Instagram professional account: its media and the comments under them.

    Facebook Login (``graph.facebook.com``, a token with ``instagram_basic`` and
    ``instagram_manage_comments``) by default; for Business Login set ``base_url`` to
    ``https://graph.instagram.com/v21.0`` (scopes ``instagram_business_basic`` and
    ``instagram_business_manage_comments``).
    """

    default_base_url: ClassVar[str] = "https://graph.facebook.com/v21.0"
    default_rate: ClassVar[float] = 3.0
    needs_token: ClassVar[bool] = True
    type: Literal["instagram_account"]
    ig_user_id: str = Field(pattern=r"^[0-9]{1,40}$")
    limit: int = Field(25, ge=1, le=100)
    comment_limit: int = Field(50, ge=1, le=100)
    lookback_hours: float = Field(48, ge=0, description="Re-read comments of media this recent.")
    read_replies: bool = Field(True, description="Also read /{ig-comment-id}/replies.")


# ``/{ig-user-id}/media`` (newest first) for the account's posts, ``/{ig-media-id}/comments``
# (``id,text,timestamp,username``) and ``/{ig-comment-id}/replies`` for what citizens wrote under
# them. Every listing is paged by following ``paging.next`` itself (its ``access_token`` is
# removed before a URL is kept in a cursor: the token travels in the Authorization header only).
#
# Incremental like ``facebook_page``: a run reads media down to ``lookback_hours`` before the
# newest media it has seen, so new comments under recent posts are picked up. The cursor of every
# stored page names the media page being read (``run.url``), so a crash resumes there; the run's
# last page closes it. Captions and the account's own replies are marked ``by_publisher``; the
# commenters' usernames never reach the stored ``raw`` (``author_ref`` is their pseudonym).
#
# Reference followed: Instagram Platform, Instagram Graph API reference (IG User ``/media``,
# IG Media ``/comments``, IG Comment ``/replies``); see tests/fixtures/instagram/README.md.
@register(InstagramAccountConfig)
class InstagramAccountSource:
    """Media, comments and replies of one Instagram professional account."""

    def __init__(
        self, config: InstagramAccountConfig, *, http: PoliteSession, author_key: bytes
    ) -> None:
        self.config = config
        self.name = config.name
        self.http = http
        self.key = author_key
        self._headers = {"Authorization": f"Bearer {config.token()}"}
        self._account: str | None = None
        http.set_rate(config.api_url, config.rate)

    def check(self) -> str:
        data = self._get(self._account_url(), {"fields": "id,username"})
        return f"Instagram account @{data.get('username')} ({data.get('id')}); {PERMISSIONS_HELP}"

    def account_username(self) -> str | None:
        """The account's own username (to recognise its replies), asked once per source."""
        if self._account is None:
            self._account = self._get(self._account_url(), {"fields": "id,username"}).get(
                "username"
            )
        return self._account

    def fetch(
        self, cursor: dict[str, Any] | None, *, since: datetime | None = None
    ) -> Iterator[Page]:
        cursor = cursor or {}
        newest = cursor.get("newest")
        run = cursor.get("run") if since is None else None
        if run:
            floor, url = run.get("floor"), run.get("url")
        elif since is not None:
            floor, url = int(since.timestamp()), None
        elif newest is not None:
            floor, url = int(newest - self.config.lookback_hours * 3600), None
        else:
            floor, url = None, None
        account = self.account_username()
        while True:
            data = self._media_page(url)
            items = data.get("data", [])
            here = {"newest": newest, "run": {"floor": floor, "url": url}}
            buffer: list[Post] = []
            skipped = 0
            reached_floor = False
            for item in items:
                stamp = _stamp(item)
                if stamp is not None:
                    newest = stamp if newest is None else max(newest, stamp)
                if floor is not None and stamp is not None and stamp < floor:
                    reached_floor = True  # newest first: everything after is older still
                    break
                posts = self._media_posts(item, account)
                buffer.extend(posts)
                skipped += posts.skipped
                if len(buffer) >= BATCH:
                    yield Page(unique(buffer, source=self.name), here, skipped)
                    buffer, skipped = [], 0
            next_url = (data.get("paging") or {}).get("next")
            if next_url and items and not reached_floor:
                url = without_token(next_url)
                yield Page(
                    unique(buffer, source=self.name),
                    {"newest": newest, "run": {"floor": floor, "url": url}},
                    skipped,
                )
                continue
            yield Page(unique(buffer, source=self.name), {"newest": newest, "run": None}, skipped)
            return

    def _media_posts(self, item: Any, account: str | None) -> Parsed:
        owner = account or self.config.ig_user_id
        posts = parse_media(
            {"data": [item]}, source=self.name, key=self.key, fetched_at=utcnow(), owner=owner
        )
        if not isinstance(item, dict) or not item.get("id") or item.get("comments_count") == 0:
            return posts
        url = item.get("permalink")
        for comments in self._listing(f"{self.config.api_url}/{item['id']}/comments"):
            for comment in comments.get("data", []):
                posts.extend(
                    self._comment_posts(comment, media_id=item["id"], url=url, account=account)
                )
        return posts

    def _comment_posts(
        self, comment: dict[str, Any], *, media_id: str, url: str | None, account: str | None
    ) -> list[Post]:
        common = {"source": self.name, "key": self.key, "account": account, "url": url}
        posts = parse_comments(
            {"data": [comment]}, parent_id=media_id, fetched_at=utcnow(), **common
        )
        if self.config.read_replies and comment.get("id"):
            replies_url = f"{self.config.api_url}/{comment['id']}/replies"
            for replies in self._listing(replies_url):
                posts.extend(
                    parse_comments(replies, parent_id=comment["id"], fetched_at=utcnow(), **common)
                )
        return posts

    def _listing(self, url: str) -> Iterator[dict[str, Any]]:
        """Every page of a comments/replies listing, following ``paging.next``."""
        params: dict[str, Any] | None = {
            "fields": COMMENT_FIELDS,
            "limit": self.config.comment_limit,
        }
        while True:
            data = self._get(url, params)
            yield data
            next_url = (data.get("paging") or {}).get("next")
            if not next_url or not data.get("data"):
                return
            url, params = without_token(next_url), None

    def _media_page(self, url: str | None) -> dict[str, Any]:
        if url:
            return self._get(url, None)
        params = {"fields": MEDIA_FIELDS, "limit": self.config.limit}
        return self._get(f"{self._account_url()}/media", params)

    def _account_url(self) -> str:
        return f"{self.config.api_url}/{self.config.ig_user_id}"

    def _get(self, url: str, params: dict[str, Any] | None) -> dict[str, Any]:
        return graph_json(
            http=self.http,
            url=url,
            params=params,
            headers=self._headers,
            source=self.name,
            token_env=self.config.token_env,
            api="Instagram Graph API",
            shown_url=without_token(url),
            permission_codes=PERMISSION_CODES,
            permission_help=PERMISSIONS_HELP,
        )
