"""A region's profile (``<profile>/taxonomy.yaml``): taxonomy (agencies, topics, LAPOR! ids), triage
and promotion rules; sources live beside it in ``sources.yaml`` (the harvester validates those)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.exceptions import ConfigError
from config.replies import ReplyConfig, load_reply_config
from config.settings import load_settings
from config.yaml_file import read_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Agency(_Strict):
    key: str
    name: str
    short: str | None = None
    lapor_disposition_id: int | str | None = None
    auto_forward_threshold: float | None = Field(None, ge=0, le=1)
    # the local offices (kelurahan/kecamatan): routed to the office of the complaint's area
    local_level: Literal["kelurahan", "kecamatan"] | None = None


class Topic(_Strict):
    key: str
    name: str
    default_agency: str
    lapor_category_id: int | str | None = None
    urgency: int = Field(1, ge=1, le=3)
    keywords: list[str] = []


class LaporNewUser(_Strict):
    """The reporter LAPOR! creates when the integration has no fixed ``user_id``
    (``is_new_user_slider``): the office that runs Aduan, never a citizen."""

    email: str
    name: str
    phone: str | None = None


class LaporOptions(_Strict):
    channel_id: int | str | None = None
    is_anonymous: bool = True
    is_secret: bool = False
    default_location_id: int | str | None = None
    # The integration's reporter account and the report class (pengaduan/aspirasi/...), issued
    # with the integration; null until filled (`aduan lapor check` lists them).
    user_id: int | str | None = None
    new_user: LaporNewUser | None = None
    classification_id: int | str | None = None
    is_approval: bool = False
    info_disposition: str = "Diteruskan oleh Aduan dari unggahan publik di media sosial."
    copy_externals: int | str | None = None
    community_id: int | str | None = None
    priority_program_id: int | str | None = None
    max_attachments: int = Field(3, ge=0, le=10)


class Triage(_Strict):
    relevance_threshold: float = Field(0.5, ge=0, le=1)
    duplicate_similarity: float = Field(0.8, ge=0, le=1)
    duplicate_window_hours: float = Field(72, gt=0)
    auto_forward_threshold: float = Field(0.95, ge=0, le=1)


class Promotion(_Strict):
    max_macro_f1_drop: float = 0.01
    allow_accuracy_drop: float = 0.0


class Profile(_Strict):
    region: str
    timezone: str = "Asia/Jakarta"
    contact: str | None = None
    lapor: LaporOptions = LaporOptions()
    triage: Triage = Triage()
    promotion: Promotion = Promotion()
    replies: ReplyConfig = ReplyConfig()  # from replies.yaml beside taxonomy.yaml
    agencies: list[Agency]
    topics: list[Topic]
    folder: Path | None = None

    @model_validator(mode="after")
    def _keys_consistent(self) -> Profile:
        agency_keys = [a.key for a in self.agencies]
        if len(set(agency_keys)) != len(agency_keys):
            raise ValueError("agency keys must be unique")
        topic_keys = [t.key for t in self.topics]
        if len(set(topic_keys)) != len(topic_keys):
            raise ValueError("topic keys must be unique")
        for topic in self.topics:
            if topic.default_agency not in agency_keys:
                raise ValueError(
                    f"topic {topic.key!r} has default_agency {topic.default_agency!r}, "
                    "which is not an agency key"
                )
        return self

    def agency(self, key: str) -> Agency | None:
        return next((a for a in self.agencies if a.key == key), None)

    def topic(self, key: str) -> Topic | None:
        return next((t for t in self.topics if t.key == key), None)

    def auto_forward_threshold(self, agency_key: str) -> float:
        agency = self.agency(agency_key)
        if agency is not None and agency.auto_forward_threshold is not None:
            return agency.auto_forward_threshold
        return self.triage.auto_forward_threshold


def load_profile(folder: Path) -> Profile:
    """Read and validate ``folder/taxonomy.yaml``; errors name the file and the field."""
    path = Path(folder) / "taxonomy.yaml"
    try:
        data = read_yaml(path, ConfigError) or {}
    except FileNotFoundError:
        raise ConfigError(f"no taxonomy.yaml in profile folder {folder} (ADUAN_PROFILE)") from None
    try:
        return Profile(**data, replies=load_reply_config(Path(folder)), folder=Path(folder))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None


@lru_cache(maxsize=4)
def _cached(folder: str) -> Profile:
    return load_profile(Path(folder))


def get_profile(folder: Path | None = None) -> Profile:
    """The profile of ``folder`` (a command's ``settings.profile``), read once per process;
    None: ADUAN_PROFILE, read from the environment now."""
    if folder is None:
        folder = load_settings().profile
    return _cached(str(Path(folder).resolve()))
