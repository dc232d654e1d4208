"""A local SIMULATOR of SP4N-LAPOR! API v3 (and Open311 GeoReport v2) for tests and demos: the model
(config, state, checks); demo/lapor_simulator_routes.py serves it. It is NOT LAPOR!."""

from __future__ import annotations

import asyncio
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from config.profile import Profile

# Every answer carries the header ``X-Simulator`` and the JSON field ``"simulator": true``, and
# nothing leaves this machine. Control endpoints for tests: ``GET /_simulator/complaints``,
# ``POST /_simulator/advance?seconds=``.
BANNER = "aduan-lapor-simulator; NOT SP4N-LAPOR!"
STEPS = ["Belum Terverifikasi", "Terverifikasi", "Dalam Proses", "Selesai"]
REJECTED = "Ditolak"
STATUS_CODES = {name: str(i) for i, name in enumerate([*STEPS, REJECTED], start=1)}
WIB = timezone(timedelta(hours=7))
# It checks exactly what the public LAPOR! v3 agency clients send, so a client of another shape
# fails: the headers ``auth: Bearer <key>`` and ``token`` (401 without them; ``Authorization``
# alone is not enough), the create body (``classification_id``, ``is_disposisi_slider`` +
# ``disposition_id`` + ``info_disposition``, ``is_approval``, the reporter as ``user_id`` or
# ``is_new_user_slider`` with ``emailUser``/``nameUser``, ``attachments`` as a string
# ``"[id,...]"`` of uploaded files; 422 with per-field messages), and pages every listing like a
# Laravel paginator (``results.data``, ``current_page``, ``last_page``, ``next_page_url``, at most
# ``max_page_size`` rows a page).
REQUIRED = (
    "title",
    "content",
    "channel",
    "classification_id",
    "category_id",
    "disposition_id",
    "location_id",
)
BOOLEANS = ("is_anonymous", "is_secret", "is_priority", "is_new_user_slider")
REQUIRED_BOOLEANS = ("is_approval", "is_disposisi_slider")
OPTIONAL_IDS = ("copy_externals", "community_id", "priority_program_id")
# The simulator's own ids (assumptions, not LAPOR!'s): the integration's reporter account and
# the report classes.
SIM_USER_ID = 9100001
CLASSIFICATIONS = {6: "Pengaduan", 7: "Aspirasi", 8: "Permintaan Informasi"}
SIM_CLASSIFICATION_ID = 6
_ATTACHMENTS = re.compile(r"^\[(\d+(,\d+)*)?\]$")


@dataclass
class SimulatorConfig:
    api_key: str = "simulator-key"
    token: str = "simulator-token"
    open311_api_key: str = "simulator-open311-key"
    fault_rate: float = 0.0
    drop_after_commit: float = 0.0
    latency_ms: float = 0.0
    step_s: float = 60.0
    retry_after_s: float = 1.0
    seed: int | None = None
    user_id: int = SIM_USER_ID
    max_page_size: int = 1000
    extra_institutions: int = 0  # decoys added to the institution list (paging tests)
    locations_file: str | None = None  # JSON rows {id, name, parent_id} added to the locations


# It stores complaints in memory, moves them Belum Terverifikasi -> Terverifikasi -> Dalam Proses
# -> Selesai (every ``step_s`` seconds; one in ten is Ditolak after verification), and injects
# faults: ``fault_rate`` (503 or 429 before anything is stored), ``drop_after_commit`` (the
# complaint is stored, or passed on, then the connection drops before the answer), ``latency_ms``
# (after storing, before answering).
@dataclass
class SimulatorState:
    """Everything the simulator stores (in memory), guarded by one lock."""

    config: SimulatorConfig
    institutions: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    locations: list[dict[str, Any]]
    complaints: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests_311: dict[str, dict[str, Any]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    uploads: set[int] = field(default_factory=set)
    followups: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    offset_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)

    def now(self) -> float:
        return time.time() + self.offset_s

    def count(self, name: str) -> None:
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + 1

    def roll(self, probability: float) -> bool:
        with self.lock:
            return self.rng.random() < probability

    def add_complaint(self, payload: dict[str, Any]) -> int:
        with self.lock:
            complaint_id = 700000 + len(self.complaints) + 1
            self.complaints[complaint_id] = {**payload, "id": complaint_id, "created": self.now()}
            return complaint_id

    def add_followups(self, complaint_id: int, count: int) -> None:
        """``count`` more followups from the agency on a complaint (tests)."""
        with self.lock:
            rows = self.followups.setdefault(complaint_id, [])
            for _ in range(count):
                number = len(rows) + 1
                rows.append(
                    {
                        "id": complaint_id * 100 + number,
                        "content": f"Tindak lanjut simulasi nomor {number}",
                        "created_at": wib(self.now() + number),
                    }
                )

    def statuses(self, complaint: dict[str, Any]) -> list[tuple[str, float]]:
        """The statuses a complaint went through so far, with their (simulated) times."""
        age = self.now() - complaint["created"]
        reached = min(len(STEPS) - 1, int(age // self.config.step_s)) if age >= 0 else 0
        path = STEPS[:2] + [REJECTED] if complaint["id"] % 10 == 7 else STEPS
        reached = min(reached, len(path) - 1)
        return [
            (path[i], complaint["created"] + i * self.config.step_s) for i in range(reached + 1)
        ]


# Reference lists built from the profile (institutions = agency names, categories = topic names,
# locations = the region, plus the rows of a ``locations_file`` fixture such as
# tests/fixtures/lapor/locations_kupang.json).
def reference_lists(
    profile: Profile, extra: int = 0, locations_file: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Institutions = the profile's agency names (+ decoys, + ``extra`` more), categories = topic
    names, locations (the region, its province and a neighbour, + the ``locations_file`` rows:
    a JSON list, or an object whose ``locations`` is one)."""
    decoys = ["Kementerian Kesehatan", "Pemerintah Provinsi Nusa Tenggara Timur"]
    decoys += [f"Instansi Simulasi {n}" for n in range(1, extra + 1)]
    institutions = [
        {"id": 101 + i, "name": name, "parent_id": None}
        for i, name in enumerate([a.name for a in profile.agencies] + decoys)
    ]
    categories = [
        {"id": 201 + i, "name": name, "parent_id": None}
        for i, name in enumerate([t.name for t in profile.topics] + ["Lainnya"])
    ]
    locations = [
        {"id": 300, "name": "Provinsi Simulasi", "parent_id": None},
        {"id": 301, "name": profile.region, "parent_id": 300},
        {"id": 302, "name": f"Kabupaten di sekitar {profile.region}", "parent_id": 300},
    ]
    if locations_file:
        locations += _location_rows(locations_file)
    return {"institutions": institutions, "categories": categories, "locations": locations}


def _location_rows(path: str) -> list[dict[str, Any]]:
    import json
    from pathlib import Path

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = data.get("locations") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "id" in r for r in rows):
        raise ValueError(f"{path}: expected a list of {{id, name, parent_id}} locations")
    return [{"id": r["id"], "name": r.get("name"), "parent_id": r.get("parent_id")} for r in rows]


def wib(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(WIB).strftime("%d-%m-%Y %H:%M:%S")


def validate(payload: Any, state: SimulatorState) -> dict[str, list[str]]:
    """Laravel-style messages per field, as a validation answer carries them."""
    if not isinstance(payload, dict):
        return {"body": ["The body must be a JSON object."]}
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in REQUIRED:
        if payload.get(name) in (None, ""):
            error(name, f"The {name} field is required.")
    for name in REQUIRED_BOOLEANS:
        if name not in payload:
            error(name, f"The {name} field is required.")
    for name in (*BOOLEANS, *REQUIRED_BOOLEANS):
        if name in payload and not isinstance(payload[name], bool):
            error(name, f"The {name} field must be true or false.")
    if (
        payload.get("disposition_id") not in (None, "")
        and payload.get("is_disposisi_slider") is False
    ):
        error(
            "is_disposisi_slider", "The is_disposisi_slider field must be true with a disposition."
        )
    if not isinstance(payload.get("info_disposition"), str):
        error("info_disposition", "The info_disposition field is required with a disposition.")
    for name in OPTIONAL_IDS:
        value = payload.get(name)
        if value is not None and not str(value).isdigit():
            error(name, f"The {name} must be an id or null.")
    _validate_reporter(payload, state, error)
    _validate_attachments(payload, state, error)
    if isinstance(payload.get("content"), str) and len(payload["content"].strip()) < 20:
        error("content", "The content must be at least 20 characters.")
    if isinstance(payload.get("title"), str) and len(payload["title"]) > 150:
        error("title", "The title may not be greater than 150 characters.")
    known = {
        "disposition_id": {str(i["id"]) for i in state.institutions},
        "category_id": {str(c["id"]) for c in state.categories},
        "location_id": {str(loc["id"]) for loc in state.locations},
        "classification_id": {str(c) for c in CLASSIFICATIONS},
    }
    for name, ids in known.items():
        if payload.get(name) not in (None, "") and str(payload[name]) not in ids:
            error(name, f"The selected {name} is invalid.")
    return errors


def _validate_reporter(payload: dict[str, Any], state: SimulatorState, error: Any) -> None:
    if payload.get("is_new_user_slider") is True:
        for name in ("emailUser", "nameUser"):
            if not payload.get(name):
                error(name, f"The {name} field is required for a new user.")
        return
    if payload.get("user_id") in (None, ""):
        error("user_id", "The user_id field is required when is_new_user_slider is false.")
    elif str(payload["user_id"]) != str(state.config.user_id):
        error("user_id", "The selected user_id is not this integration's user.")


def _validate_attachments(payload: dict[str, Any], state: SimulatorState, error: Any) -> None:
    value = payload.get("attachments")
    if not isinstance(value, str) or not _ATTACHMENTS.match(value.replace(" ", "")):
        error("attachments", 'The attachments must be a string like "[12,13]" (or "[]").')
        return
    ids = {int(i) for i in value.strip("[] ").split(",") if i.strip()}
    with state.lock:
        unknown = ids - state.uploads
    if unknown:
        error("attachments", f"The attachments {sorted(unknown)} were never uploaded.")


def validate_pass_on(payload: Any, state: SimulatorState) -> dict[str, list[str]]:
    """The body of ``POST /complaints/process/{id}/reject`` as the public clients send it."""
    if not isinstance(payload, dict):
        return {"body": ["The body must be a JSON object."]}
    errors: dict[str, list[str]] = {}
    for name in ("reason", "reason_description", "not_authority"):
        if payload.get(name) in (None, ""):
            errors.setdefault(name, []).append(f"The {name} field is required.")
    institutions = {str(i["id"]) for i in state.institutions}
    if payload.get("reason") not in (None, "") and str(payload["reason"]) not in institutions:
        errors.setdefault("reason", []).append("The selected reason (institution) is invalid.")
    return errors


async def pause(config: SimulatorConfig) -> None:
    if config.latency_ms > 0:
        await asyncio.sleep(config.latency_ms / 1000)
