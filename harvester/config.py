"""``sources.yaml``: one pydantic model per source type; a bad entry never stops the others.

Every entry has ``name`` (the Posts' ``source``), ``type``, ``enabled``, ``base_url`` (defaults to
the platform's real API; override it to point at a local server), ``token_env`` (the name of the
environment variable holding the secret), ``requests_per_second`` and ``max_pages``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from harvester.exceptions import MissingSecret, SourceConfigError

SOURCES_FILE = "sources.yaml"


class _SourceConfig(BaseModel):
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
    def _token_env_given(self) -> _SourceConfig:
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


class FacebookPageConfig(_SourceConfig):
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


class FeedConfig(_SourceConfig):
    """An RSS or Atom feed (Blogger comment feeds in particular)."""

    default_rate: ClassVar[float] = 1.0
    type: Literal["feed"]
    url: str = Field(pattern=r"^https?://")


class WordPressCommentsConfig(_SourceConfig):
    """Comments of a WordPress site through ``/wp-json/wp/v2/comments``."""

    default_rate: ClassVar[float] = 2.0
    type: Literal["wordpress_comments"]
    base_url: str  # type: ignore[assignment]  # required: the site itself
    post: int | None = Field(None, description="Only the comments of this post id.")
    per_page: int = Field(100, ge=1, le=100)


class XSearchConfig(_SourceConfig):
    """X API v2 recent search."""

    default_base_url: ClassVar[str] = "https://api.x.com/2"
    default_rate: ClassVar[float] = 1.0
    needs_token: ClassVar[bool] = True
    type: Literal["x_search"]
    query: str = Field(min_length=1, max_length=512)
    max_results: int = Field(100, ge=10, le=100)


class YouTubeCommentsConfig(_SourceConfig):
    """YouTube comment threads (with replies) of listed videos or a channel's recent uploads."""

    default_base_url: ClassVar[str] = "https://www.googleapis.com/youtube/v3"
    default_rate: ClassVar[float] = 5.0
    needs_token: ClassVar[bool] = True
    type: Literal["youtube_comments"]
    channel_id: str | None = None
    video_ids: list[str] = []
    max_videos: int = Field(10, ge=1, le=50)

    @model_validator(mode="after")
    def _one_target(self) -> YouTubeCommentsConfig:
        if bool(self.channel_id) == bool(self.video_ids):
            raise ValueError("give either channel_id or video_ids (one of them)")
        return self


class InstagramAccountConfig(_SourceConfig):
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


class HtmlConfig(_SourceConfig):
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


SourceConfig = Annotated[
    FacebookPageConfig
    | FeedConfig
    | WordPressCommentsConfig
    | XSearchConfig
    | YouTubeCommentsConfig
    | InstagramAccountConfig
    | HtmlConfig,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(SourceConfig)
SOURCE_TYPES = (
    "facebook_page",
    "feed",
    "wordpress_comments",
    "x_search",
    "youtube_comments",
    "instagram_account",
    "html",
)


@dataclass(frozen=True)
class ConfigProblem:
    """A source entry that cannot be used: which one, which field, what is wrong."""

    name: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.field}: {self.message}"


def parse_source(entry: Any, index: int) -> tuple[Any | None, ConfigProblem | None]:
    """Validate one entry of the ``sources`` list."""
    name = entry.get("name") if isinstance(entry, dict) else None
    label = str(name) if name else f"sources[{index}]"
    if not isinstance(entry, dict):
        return None, ConfigProblem(label, "-", "each source must be a mapping")
    if entry.get("type") not in SOURCE_TYPES:
        message = f"unknown type {entry.get('type')!r}; known: {', '.join(SOURCE_TYPES)}"
        return None, ConfigProblem(label, "type", message)
    try:
        return _ADAPTER.validate_python(entry), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "-"
        return None, ConfigProblem(label, where, first["msg"])


def load_sources(profile_dir: Path) -> tuple[list[Any], list[ConfigProblem]]:
    """All valid entries of ``<profile_dir>/sources.yaml`` and the problems of the others."""
    path = Path(profile_dir) / SOURCES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise SourceConfigError(f"no {SOURCES_FILE} in profile folder {profile_dir}") from None
    except UnicodeDecodeError as exc:
        raise SourceConfigError(
            f"{path} is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from None
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SourceConfigError(f"{path}: expected a top-level 'sources:' list")
    configs: list[Any] = []
    problems: list[ConfigProblem] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        config, problem = parse_source(entry, index)
        if problem is not None:
            problems.append(problem)
        elif config.name in names:
            problems.append(ConfigProblem(config.name, "name", "used by an earlier source"))
        else:
            names.add(config.name)
            configs.append(config)
    return configs, problems


def select_sources(
    configs: list[Any], problems: list[ConfigProblem], names: list[str] | None
) -> list[Any]:
    """The sources to harvest: the enabled ones, or exactly ``names`` (even if disabled);
    SourceConfigError for a name that is invalid in or missing from sources.yaml."""
    if not names:
        return [c for c in configs if c.enabled]
    by_name = {c.name: c for c in configs}
    broken = {p.name: p for p in problems}
    chosen = []
    for name in names:
        if name in broken:
            raise SourceConfigError(f"source {broken[name]}")
        if name not in by_name:
            raise SourceConfigError(f"no source named {name!r} in sources.yaml")
        chosen.append(by_name[name])
    return chosen
