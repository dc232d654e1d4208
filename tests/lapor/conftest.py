"""Fixtures of the lapor tests: a mapped copy of the Kupang profile, the simulator on 127.0.0.1,
approved cases in the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from lapor.client import LaporClient
from lapor.mapping import auto_map, fold, write_profile_copy
from lapor.simulator import RunningSimulator, SimulatorConfig, reference_lists
from store.cases import approve_case, create_case
from store.profile import Profile, load_profile
from store.repository import upsert_posts
from store.tables import PostRow
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
