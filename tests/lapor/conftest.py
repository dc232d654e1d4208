"""Fixtures of the lapor tests: a mapped copy of the Kupang profile, the simulator on 127.0.0.1,
approved cases in the outbox."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from cases.states import approve_case
from config.profile import Profile, load_profile
from demo.lapor_simulator import (
    SIM_CLASSIFICATION_ID,
    SIM_USER_ID,
    SimulatorConfig,
    reference_lists,
)
from demo.lapor_simulator_routes import RunningSimulator
from lapor.client import LaporClient
from lapor.mapping import auto_map, fold, write_profile_copy
from store.cases import create_case
from store.repository import upsert_posts
from store.tables import Case, Forward, PostRow
from tests.factories import make_post

REPO = Path(__file__).resolve().parents[2]
KUPANG = REPO / "profiles" / "kupang"


@pytest.fixture(scope="session")
def kupang() -> Profile:
    return load_profile(KUPANG)


@pytest.fixture(scope="session")
def mapped_folder(tmp_path_factory: pytest.TempPathFactory, kupang: Profile) -> Path:
    """A copy of the Kupang profile whose ids match the simulator's reference lists."""
    by_name: dict[str, dict[str, list[str]]] = {}
    for kind, rows in zip(
        ("institution", "category", "location"), reference_lists(kupang).values(), strict=True
    ):
        for row in rows:
            by_name.setdefault(kind, {}).setdefault(fold(row["name"]), []).append(str(row["id"]))
    mapping = auto_map(kupang, by_name)
    assert not mapping.unmatched
    mapping.channel_id = "1"
    mapping.user_id, mapping.classification_id = str(SIM_USER_ID), str(SIM_CLASSIFICATION_ID)
    out = tmp_path_factory.mktemp("profile") / "kupang-mapped"
    write_profile_copy(kupang, mapping, out)
    return out


@pytest.fixture(scope="session")
def mapped(mapped_folder: Path) -> Profile:
    return load_profile(mapped_folder)


@pytest.fixture
def simulator(kupang: Profile):
    """A factory: ``simulator(fault_rate=..)`` starts one (stopped after the test)."""
    running: list[RunningSimulator] = []

    def start(**config) -> RunningSimulator:
        config.setdefault("seed", 1)
        config.setdefault("retry_after_s", 0)
        sim = RunningSimulator(SimulatorConfig(**config), kupang).start()
        running.append(sim)
        return sim

    yield start
    for sim in running:
        sim.stop()


@pytest.fixture
def sim(simulator) -> Iterator[RunningSimulator]:
    """A simulator without faults."""
    return simulator()


class SimulatorProcess:
    """The simulator in a process of its own (the big tests: no GIL shared with the sender)."""

    def __init__(self, **config) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        args = ", ".join(f"{k}={v!r}" for k, v in config.items())
        code = (
            "from demo.lapor_simulator_routes import run_simulator; "
            f"run_simulator(port={self.port}, log_level='critical', {args})"
        )
        self.proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ})
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{self.url}/_simulator/complaints", timeout=2)
                return
            except requests.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the simulator process did not start") from None
                time.sleep(0.1)

    def complaints(self) -> tuple[dict[int, dict], dict[str, int]]:
        body = requests.get(f"{self.url}/_simulator/complaints", timeout=30).json()
        return {c["id"]: c for c in body["complaints"]}, body["counters"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def simulator_process():
    running: list[SimulatorProcess] = []

    def start(**config) -> SimulatorProcess:
        running.append(SimulatorProcess(**config))
        return running[-1]

    yield start
    for proc in running:
        proc.stop()


def client_for(sim: RunningSimulator, **kw) -> LaporClient:
    values = {"api_key": "simulator-key", "token": "simulator-token", "timeout": 5.0, **kw}
    return LaporClient(sim.url, **values)


def approved_cases(
    factory, n: int, *, agency: str = "pupr", topic: str = "jalan_rusak", start: int = 0, **kw
) -> list[int]:
    """``n`` cases of one post each, approved (one pending outbox row each)."""
    posts = [make_post(start + i) for i in range(n)]
    ids = []
    with factory.begin() as session:
        upsert_posts(session=session, posts=posts)
        rows = session.scalars(
            select(PostRow).where(PostRow.external_id.in_([p.external_id for p in posts]))
        ).all()
        for post in sorted(rows, key=lambda r: r.id):
            case = create_case(
                session=session,
                post=post,
                agency=agency,
                topic=topic,
                agency_confidence=0.9,
                topic_confidence=0.9,
            )
            approve_case(session=session, case_id=case.id, actor="tester", **kw)
            ids.append(case.id)
    return ids


def outbox_rows(factory, n: int, *, agency: str = "pupr", topic: str = "jalan_rusak") -> None:
    """``n`` approved one-post cases with pending outbox rows, inserted in bulk (what
    ``approve_case`` leaves behind, minus reviews and audit entries) for the large tests."""
    posts = [make_post(i) for i in range(n)]
    with factory.begin() as session:
        upsert_posts(session=session, posts=posts)
        rows = session.scalars(select(PostRow).order_by(PostRow.id)).all()
        cases = [
            Case(
                state="approved",
                agency=agency,
                topic=topic,
                representative_post_id=row.id,
                first_post_at=row.created_at,
                decided_by="tester",
            )
            for row in rows
        ]
        session.add_all(cases)
        session.flush()
        for row, case in zip(rows, cases, strict=True):
            row.case_id, row.state = case.id, "in_case"
        session.add_all(Forward(case_id=case.id, target="lapor", state="pending") for case in cases)
