"""``Post``: the one shape every stage sees, validated in one place."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from harvester.exceptions import InvalidPost

MAX_TEXT_CHARS = 100_000


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
    account of what is harvested): context for replies, never a complaint.
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

    def __post_init__(self) -> None:
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
        for name in ("created_at", "fetched_at"):
            value = getattr(self, name)
            if not isinstance(value, datetime):
                raise InvalidPost(f"Post.{name} must be a datetime, got {type(value).__name__}")
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidPost(
                    f"Post.{name} is a naive datetime ({self.source}/{self.external_id}); "
                    "give it a timezone"
                )
