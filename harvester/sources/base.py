"""What every source is: a config model, ``fetch(cursor)`` yielding ``Page``s of ``Post``s with the
cursor after them, and ``register`` that makes a platform known (see harvester/README.md)."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, get_args, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harvester.exceptions import InvalidPost, MissingSecret, SourceConfigError
from harvester.models import MAX_PHOTOS, Post, is_photo_url

log = logging.getLogger(__name__)


class SourceConfig(BaseModel):
    """The fields every ``sources.yaml`` entry has; each platform's model adds its own and a
    ``type: Literal["<type>"]``.

    ``name`` is the Posts' ``source``; ``base_url`` defaults to the platform's real API (override
    it to point at a local server); ``token_env`` names the environment variable holding the
    secret.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_base_url: ClassVar[str | None] = None
    default_rate: ClassVar[float] = 1.0
    needs_token: ClassVar[bool] = False

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    enabled: bool = True
    base_url: str | None = None
    token_env: str | None = Field(None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    requests_per_second: float | None = Field(None, ge=0)
    max_pages: int | None = Field(None, ge=1)
    publisher_accounts: list[str] = Field(
        [],
        description="Accounts that speak for the publisher of this source (ids, user names or "
        "profile URLs, as the platform gives them): their posts are marked by_publisher.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _token_env_given(self) -> SourceConfig:
        if self.needs_token and not self.token_env:
            raise ValueError(f"token_env is required for type {self.type!r}")  # type: ignore[attr-defined]
        return self

    @property
    def api_url(self) -> str:
        """``base_url`` or the platform's real API."""
        url = self.base_url or self.default_base_url
        if not url:
            raise SourceConfigError(f"source {self.name!r}: base_url is required")
        return url

    @property
    def rate(self) -> float:
        """Requests per second to this source's host (0 means no limit)."""
        return self.default_rate if self.requests_per_second is None else self.requests_per_second

    def token(self) -> str | None:
        """The secret from the environment (never logged); MissingSecret if it is not set."""
        if not self.token_env:
            return None
        value = os.environ.get(self.token_env, "").strip()
        if not value:
            raise MissingSecret(
                f"source {self.name!r}: environment variable {self.token_env} is not set"
            )
        return value


# The caller stores each page's posts and its cursor in one transaction, so a crash resumes at the
# last stored page. A page's cursor must therefore describe a point from which resuming loses
# nothing: sources whose platform gives no stable resume point mid-run repeat the previous cursor
# until the run's last page (re-fetched posts are ignored by the store's unique key).
@dataclass(frozen=True)
class Page:
    """Posts to store together, and the cursor to resume from once they are stored."""

    posts: tuple[Post, ...]
    cursor: dict[str, Any] | None
    skipped: int = 0  # malformed items of this page left out (each logged with its position)


@runtime_checkable
class Source(Protocol):
    """A configured source: ``name`` is the Posts' ``source``; ``fetch`` is a generator."""

    name: str

    def fetch(
        self, cursor: dict[str, Any] | None, *, since: datetime | None = None
    ) -> Iterator[Page]:
        """Pages after ``cursor`` (or, if ``since`` is given, from that time on)."""
        ...

    def check(self) -> str:
        """One cheap request that proves the source answers; returns a short description."""
        ...


@dataclass(frozen=True)
class Platform:
    """A known source type: the model its ``sources.yaml`` entries are validated with, and the
    ``Source`` class built from a validated entry (``(config, *, http, author_key)``)."""

    type: str
    config: type[SourceConfig]
    source: type


PLATFORMS: dict[str, Platform] = {}  # type -> Platform, filled as harvester.sources imports


def register(config: type[SourceConfig]) -> Callable[[type], type]:
    """Class decorator of a platform's ``Source``: the platform is known from then on under the
    ``type`` its config model names (``type: Literal["x_search"]``)."""
    (type_name,) = get_args(config.model_fields["type"].annotation)

    def add(source: type) -> type:
        known = PLATFORMS.get(type_name)
        if known is not None and known.config.__module__ != config.__module__:
            raise ValueError(f"source type {type_name!r} is already {known.config.__module__}'s")
        PLATFORMS[type_name] = Platform(type_name, config, source)
        return source

    return add


def utcnow() -> datetime:
    return datetime.now(UTC)


def derived_id(*parts: str | None) -> str:
    """A stable id for an item the platform delivers without one (same inputs, same id)."""
    digest = hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()
    return f"derived:{digest[:32]}"


def parse_time(value: str) -> datetime:
    """ISO 8601 in the shapes the APIs use (``Z``, ``+0800``, ``+08:00``) to an aware UTC time."""
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"time without a timezone: {value!r}")
    return parsed.astimezone(UTC)


def publisher_set(*accounts: str | None) -> frozenset[str]:
    """Accounts of the publisher, compared without case and without a leading ``@``."""
    return frozenset(_account(a) for a in accounts if a and _account(a))


def _account(value: str) -> str:
    return value.strip().removeprefix("@").casefold()


def by_publisher(publisher: frozenset[str], *author: str | None) -> bool:
    """Whether any of an author's identifiers (id, user name, profile URL) is the publisher's."""
    return any(a and _account(a) in publisher for a in author)


def build_post(**fields: Any) -> Post | None:
    """A Post, or None (logged, never stored) when an item cannot make a valid one."""
    try:
        return Post(**fields)
    except InvalidPost as exc:
        log.warning("skipped an item of %s: %s", fields.get("source"), exc)
        return None


# What a malformed item raises while it is read: a field missing (KeyError), of the wrong type
# (TypeError, AttributeError), unparsable (ValueError, incl. InvalidPost) or an empty list.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


class Parsed(list):
    """The Posts (or photo links) of one response, and ``skipped``: how many malformed items
    were left out."""

    skipped: int = 0


def parse_items(
    items: Iterable[Any],
    parse_one: Callable[[Any], Any],
    *,
    source: str,
    where: str,
) -> Parsed:
    """``parse_one`` on every item; a malformed item is skipped, counted and logged with its
    position, never the end of the page. ``parse_one`` returns None for items that are fine but
    hold nothing to store (no text, a removed comment), or a list (a thread and its replies)."""
    parsed = Parsed()
    items = list(items)
    for position, item in enumerate(items, start=1):
        try:
            post = parse_one(item)
        except MALFORMED as exc:
            parsed.skipped += 1
            log.warning(
                "%s: item %d of %d in %s is malformed and was skipped (%s)",
                source,
                position,
                len(items),
                where,
                _reason(exc),
            )
            continue
        if isinstance(post, list):
            parsed.extend(post)
        elif post is not None:
            parsed.append(post)
    return parsed


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"field {exc.args[0]!r} is missing"
    return f"{type(exc).__name__}: {exc}"[:300]


def unique(posts: list[Post], *, source: str) -> tuple[Post, ...]:
    """Drop repeated external ids inside one page (a feed with duplicate ids), keeping the first."""
    seen: set[str] = set()
    kept: list[Post] = []
    for post in posts:
        if post.external_id in seen:
            log.warning("%s: the response repeats id %s; kept the first", source, post.external_id)
            continue
        seen.add(post.external_id)
        kept.append(post)
    return tuple(kept)


def photo_url(value: Any) -> str:
    """A photo link of a media entry; ValueError (a malformed entry) if it is no http(s) link."""
    if not is_photo_url(value):
        raise ValueError(f"photo link {str(value)[:80]!r} is not an http(s) URL")
    return value


def photos_of(
    entries: Any,
    read_one: Callable[[Any], str | list[str] | None],
    *,
    source: str,
    where: str,
    counts: Parsed,
) -> tuple[str, ...]:
    """The photo links of a post's media entries: ``read_one`` gives an entry's link (or links,
    or None for what is no photo: a video, a shared link). A malformed entry is skipped, logged
    with its position and counted in ``counts.skipped``; the post keeps its other photos.
    Repeated links are dropped; at most ``MAX_PHOTOS``."""
    if not entries:
        return ()
    if not isinstance(entries, list):
        counts.skipped += 1
        log.warning("%s: %s is %s, not a list; skipped", source, where, type(entries).__name__)
        return ()
    found = parse_items(entries, read_one, source=source, where=where)
    counts.skipped += found.skipped
    return tuple(dict.fromkeys(found))[:MAX_PHOTOS]
