"""A local SIMULATOR of SP4N-LAPOR! API v3 (and an Open311 GeoReport v2 endpoint) for tests and
demos. It is NOT LAPOR!: every answer carries the header ``X-Simulator`` and the JSON field
``"simulator": true``, and nothing leaves this machine.

It speaks the endpoints and JSON shapes of lapor/client.py, checks the two auth headers and the
required fields (401 / 422 with per-field messages, like the real API must be handled), stores
complaints in memory, moves them Belum Terverifikasi -> Terverifikasi -> Dalam Proses -> Selesai
(every ``step_s`` seconds; one in ten is Ditolak after verification), serves reference lists built
from the profile (institutions = agency names, categories = topic names, locations = the region),
and injects faults: ``fault_rate`` (503 or 429 before anything is stored), ``drop_after_commit``
(the complaint is stored, then the connection drops before the answer), ``latency_ms`` (after
storing, before answering).

Control endpoints for tests: ``GET /_simulator/complaints``, ``POST /_simulator/advance?seconds=``.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from store.profile import Profile

BANNER = "aduan-lapor-simulator; NOT SP4N-LAPOR!"
STEPS = ["Belum Terverifikasi", "Terverifikasi", "Dalam Proses", "Selesai"]
REJECTED = "Ditolak"
STATUS_CODES = {name: str(i) for i, name in enumerate([*STEPS, REJECTED], start=1)}
WIB = timezone(timedelta(hours=7))
REQUIRED = ("title", "content", "channel", "category_id", "disposition_id", "location_id")
BOOLEANS = ("is_anonymous", "is_secret")


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

    def statuses(self, complaint: dict[str, Any]) -> list[tuple[str, float]]:
        """The statuses a complaint went through so far, with their (simulated) times."""
        age = self.now() - complaint["created"]
        reached = min(len(STEPS) - 1, int(age // self.config.step_s)) if age >= 0 else 0
        path = STEPS[:2] + [REJECTED] if complaint["id"] % 10 == 7 else STEPS
        reached = min(reached, len(path) - 1)
        return [
            (path[i], complaint["created"] + i * self.config.step_s) for i in range(reached + 1)
        ]


def reference_lists(profile: Profile) -> dict[str, list[dict[str, Any]]]:
    """Institutions = the profile's agency names (+ decoys), categories = topic names, locations."""
    decoys = ["Kementerian Kesehatan", "Pemerintah Provinsi Nusa Tenggara Timur"]
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
    return {"institutions": institutions, "categories": categories, "locations": locations}


def wib(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(WIB).strftime("%d-%m-%Y %H:%M:%S")


def validate(payload: Any, state: SimulatorState) -> dict[str, list[str]]:
    """Laravel-style messages per field, as a validation answer carries them."""
    if not isinstance(payload, dict):
        return {"body": ["The body must be a JSON object."]}
    errors: dict[str, list[str]] = {}
    for name in REQUIRED:
        if payload.get(name) in (None, ""):
            errors.setdefault(name, []).append(f"The {name} field is required.")
    for name in BOOLEANS:
        if name in payload and not isinstance(payload[name], bool):
            errors.setdefault(name, []).append(f"The {name} field must be true or false.")
    if isinstance(payload.get("content"), str) and len(payload["content"].strip()) < 20:
        errors.setdefault("content", []).append("The content must be at least 20 characters.")
    if isinstance(payload.get("title"), str) and len(payload["title"]) > 150:
        errors.setdefault("title", []).append("The title may not be greater than 150 characters.")
    known = {
        "disposition_id": {str(i["id"]) for i in state.institutions},
        "category_id": {str(c["id"]) for c in state.categories},
        "location_id": {str(loc["id"]) for loc in state.locations},
    }
    for name, ids in known.items():
        if payload.get(name) not in (None, "") and str(payload[name]) not in ids:
            errors.setdefault(name, []).append(f"The selected {name} is invalid.")
    return errors


class SimulatorFrame:
    """ASGI wrapper: labels every answer as the simulator, and drops connections on request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope.setdefault("state", {})

        async def framed(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-simulator", BANNER.encode())]
            if scope["state"].get("drop_connection"):
                # headers go out, the body never does: the client sees a broken connection
                if message["type"] == "http.response.start":
                    await send(message)
                return
            await send(message)

        await self.app(scope, receive, framed)


def create_app(config: SimulatorConfig, profile: Profile) -> tuple[Any, SimulatorState]:
    """The simulator's ASGI app and its state (for tests to inspect)."""
    from lapor._simulator_routes import build_app

    lists = reference_lists(profile)
    state = SimulatorState(config=config, **lists)
    return SimulatorFrame(build_app(state, profile)), state


class RunningSimulator:
    """The simulator served by uvicorn in a background thread on 127.0.0.1 (a free port)."""

    def __init__(
        self, config: SimulatorConfig, profile: Profile, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        import uvicorn

        self.app, self.state = create_app(config, profile)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        uv_config = uvicorn.Config(
            self.app,
            log_level="critical",
            access_log=False,
            lifespan="off",
            http="h11",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL of the LAPOR! endpoints (use as ADUAN_LAPOR_BASE_URL)."""
        return f"http://{self.host}:{self.port}"

    @property
    def open311_url(self) -> str:
        return f"{self.url}/open311"

    def start(self) -> RunningSimulator:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the LAPOR! simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> RunningSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(profile: Profile | None = None, **config: Any) -> RunningSimulator:
    """Start a simulator in a background thread (tests, demo); stop it with ``.stop()``."""
    from store.profile import get_profile

    return RunningSimulator(SimulatorConfig(**config), profile or get_profile()).start()


def run_simulator(
    port: int = 8800,
    fault_rate: float = 0.0,
    latency_ms: float = 0.0,
    drop_after_commit: float = 0.0,
    *,
    host: str = "127.0.0.1",
    step_s: float = 60.0,
    profile: Profile | None = None,
    api_key: str = "simulator-key",
    token: str = "simulator-token",
    seed: int | None = None,
    retry_after_s: float = 1.0,
    log_level: str = "warning",
) -> None:
    """Serve the simulator in the foreground until interrupted (``aduan lapor simulator``)."""
    import uvicorn

    from store.profile import get_profile

    config = SimulatorConfig(
        api_key=api_key,
        token=token,
        fault_rate=fault_rate,
        latency_ms=latency_ms,
        drop_after_commit=drop_after_commit,
        step_s=step_s,
        seed=seed,
        retry_after_s=retry_after_s,
    )
    app, _ = create_app(config, profile or get_profile())
    uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="off", http="h11")


async def pause(config: SimulatorConfig) -> None:
    if config.latency_ms > 0:
        await asyncio.sleep(config.latency_ms / 1000)
