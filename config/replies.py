"""``<profile>/replies.yaml``: replies to citizens under their own comments. Off by default."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from config.exceptions import ConfigError
from config.settings import Settings, load_settings

REPLIES_FILE = "replies.yaml"
# Templates are Indonesian texts with placeholders from ``PLACEHOLDERS`` only (the tracking
# number, the link, the agency, the LAPOR! status): never the citizen's words or personal data. A
# template with any other placeholder is refused when the profile is loaded, in one line.
PLACEHOLDERS = {
    "nomor": "the LAPOR! tracking number",
    "tautan": "the link to the complaint on LAPOR! (ADUAN_LAPOR_PUBLIC_URL, or `link`)",
    "instansi": "the agency's name",
    "status": "the LAPOR! status (status templates)",
}
DEFAULT_SENT = (
    "Terima kasih, aduan Anda sudah kami teruskan ke SP4N-LAPOR! dengan nomor {nomor}. "
    "Pantau perkembangannya di {tautan}"
)
MAX_CHARS = 1000  # Instagram allows 2,200 characters, YouTube 10,000: a reply stays short


def check_template(text: str, where: str, allowed: set[str] | None = None) -> str:
    """``text`` if every placeholder is a plain known name; ValueError naming the first bad one."""
    allowed = allowed if allowed is not None else set(PLACEHOLDERS)
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"{where}: not a valid template ({exc})") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            known = ", ".join("{" + n + "}" for n in sorted(allowed))
            raise ValueError(f"{where}: unknown placeholder {{{name}}}; known: {known}")
    return text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReplySource(_Strict):
    """Replies under the comments of one source of sources.yaml."""

    enabled: bool = False
    policy: Literal["approve", "auto"] | None = None
    token_env: str | None = Field(
        None,
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Secret that may post replies (default: the source's own token_env; "
        "YouTube needs an OAuth token here, an API key cannot post).",
    )
    requests_per_second: float = Field(1.0, ge=0)


class ReplyTemplates(_Strict):
    sent: str = DEFAULT_SENT
    status: dict[str, str] = {}

    @field_validator("sent")
    @classmethod
    def _sent(cls, value: str) -> str:
        return check_template(value, "templates.sent", set(PLACEHOLDERS) - {"status"})

    @field_validator("status")
    @classmethod
    def _status(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            check_template(text, f"templates.status.{name}")
        return value


class ReplyConfig(_Strict):
    """What replies.yaml says; ``ReplyConfig()`` (no file) replies to nobody."""

    policy: Literal["approve", "auto"] = "approve"
    # None: the one definition, ADUAN_LAPOR_PUBLIC_URL (config.settings); a value overrides it.
    link: str | None = None
    max_age_days: float = Field(14, gt=0, description="Only cases sent this recently get one.")
    templates: ReplyTemplates = ReplyTemplates()
    sources: dict[str, ReplySource] = {}

    @field_validator("link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("link: must start with http:// or https://")
        return check_template(value, "link", {"nomor"})

    def enabled_sources(self) -> dict[str, ReplySource]:
        return {name: s for name, s in self.sources.items() if s.enabled}

    def policy_of(self, source: str) -> str:
        options = self.sources.get(source)
        return (options.policy if options and options.policy else None) or self.policy

    def link_of(self, nomor: str, settings: Settings | None = None) -> str:
        """The public LAPOR! page of ``nomor`` (``link``, else ADUAN_LAPOR_PUBLIC_URL of
        ``settings``; None: read from the environment now)."""
        if self.link is not None:
            return self.link.format(nomor=nomor)
        return (settings or load_settings()).lapor_public_link(nomor)

    def render(
        self,
        kind: str,
        *,
        nomor: str,
        instansi: str,
        status: str | None,
        settings: Settings | None = None,
    ) -> str:
        """The text of a reply of ``kind`` (``sent`` or ``status:<name>``); ``settings`` gives
        the default link (None: read from the environment now)."""
        if kind == "sent":
            template = self.templates.sent
        else:
            template = self.templates.status[kind.removeprefix("status:")]
        values = {
            "nomor": nomor,
            "tautan": self.link_of(nomor, settings),
            "instansi": instansi,
            "status": status or "",
        }
        text = template.format(**values).strip()
        return text[:MAX_CHARS]


def load_reply_config(folder: Path) -> ReplyConfig:
    """``<folder>/replies.yaml`` validated (no file: replies off); ConfigError in one line."""
    path = Path(folder) / REPLIES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return ReplyConfig()
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    try:
        return ReplyConfig(**data) if isinstance(data, dict) else ReplyConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{path}: {where}: {message}") from None
