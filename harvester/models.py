"""``Post``: the one shape every stage sees, validated in one place."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from harvester.exceptions import InvalidPost

MAX_TEXT_CHARS = 100_000
MAX_PHOTOS = 10  # an X post has at most 4, an Instagram carousel 10-20; LAPOR! takes a few
MAX_PHOTO_URL_CHARS = 2000
_CLEANED = ("source", "external_id", "url", "author_ref", "text", "parent_external_id", "raw")
# PostgreSQL refuses NUL in text, and no database can encode a lone UTF-16 surrogate as UTF-8.
_REFUSED = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(value: str) -> str:
    """``value`` without the characters a database refuses: NUL and lone surrogates (a
    surrogate pair, as some JSON escapes give it, becomes the one character it encodes)."""
    if not _REFUSED.search(value):
        return value
    value = value.replace("\x00", "")
    if _SURROGATE.search(value):
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        value = _SURROGATE.sub("", value)
    return value


def is_photo_url(value: object) -> bool:
    """Whether ``value`` is a link to download a photo from: http(s), no spaces or controls."""
    return (
        isinstance(value, str)
        and value.lower().startswith(("https://", "http://"))
        and len(value) <= MAX_PHOTO_URL_CHARS
        and not any(ch.isspace() or not ch.isprintable() for ch in value)
    )


def author_ref(key: bytes, platform_author_id: str | None) -> str | None:
    """A keyed hash (HMAC-SHA256) of a platform's author id: stable, never the raw id or name."""
    if not platform_author_id:
        return None
    return hmac.new(key, platform_author_id.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Post:
    """A public post or comment, as harvested.

    ``source`` is the configured source name; ``parent_external_id`` links a comment to the post
    (or comment) it answers; ``raw`` keeps the original JSON/HTML fragment for audit;
    ``by_publisher`` marks the publisher's own words (the Page, channel, blog author or a configured
    account of what is harvested): context for replies, never a complaint. ``photo_urls`` are the
    links of the photos posted with it, as the platform gives them (at most ``MAX_PHOTOS``).
    """

    source: str
    external_id: str
    url: str | None
    author_ref: str | None
    text: str
    created_at: datetime
    fetched_at: datetime
    parent_external_id: str | None = None
    raw: str | None = None
    by_publisher: bool = False
    photo_urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in _CLEANED:
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, storable(value))
        for name in ("source", "external_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidPost(f"Post.{name} must be a non-empty string, got {value!r}")
        if not isinstance(self.text, str):
            raise InvalidPost(f"Post.text must be a string ({self.source}/{self.external_id})")
        if len(self.text) > MAX_TEXT_CHARS:
            raise InvalidPost(
                f"Post.text is longer than {MAX_TEXT_CHARS} characters "
                f"({self.source}/{self.external_id})"
            )
        if not isinstance(self.by_publisher, bool):
            raise InvalidPost(
                f"Post.by_publisher must be a bool ({self.source}/{self.external_id})"
            )
        self._check_photos()
        for name in ("created_at", "fetched_at"):
            value = getattr(self, name)
            if not isinstance(value, datetime):
                raise InvalidPost(f"Post.{name} must be a datetime, got {type(value).__name__}")
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidPost(
                    f"Post.{name} is a naive datetime ({self.source}/{self.external_id}); "
                    "give it a timezone"
                )

    def _check_photos(self) -> None:
        where = f"({self.source}/{self.external_id})"
        if isinstance(self.photo_urls, list):
            object.__setattr__(self, "photo_urls", tuple(self.photo_urls))
        if not isinstance(self.photo_urls, tuple):
            raise InvalidPost(f"Post.photo_urls must be a tuple of links {where}")
        if len(self.photo_urls) > MAX_PHOTOS:
            raise InvalidPost(f"Post.photo_urls has more than {MAX_PHOTOS} links {where}")
        for url in self.photo_urls:
            if not is_photo_url(url):
                raise InvalidPost(f"Post.photo_urls holds {str(url)[:80]!r}, not an http(s) link "
                                  f"{where}")  # fmt: skip
        if len(set(self.photo_urls)) != len(self.photo_urls):
            raise InvalidPost(f"Post.photo_urls repeats a link {where}")
