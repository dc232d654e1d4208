"""Fixtures shared by all tests: isolated settings, databases on both backends, shared data."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from flows.env import configure_prefect
from store.db import make_engine
from store.db import session_factory as make_session_factory
from store.migrate import upgrade
from store.tables import Base

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get(
    "ADUAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
POSTGRES_HELP = (
    "PostgreSQL is not reachable at {url}; start it with: "
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)
ON_CI = os.environ.get("CI") == "true"

# Start-up of the test process (which imports prefect: flows, the Dask test, the API client):
# Prefect's private defaults, as `aduan` sets them before any command runs.
configure_prefect(Path(tempfile.mkdtemp(prefix="aduan-tests-prefect-")))


def fixture_path(*parts: str) -> Path:
    """A recorded response or sample file under tests/fixtures/."""
    return FIXTURES.joinpath(*parts)


def need(reason: str) -> None:
    """Skip with ``reason``, except on CI where everything must run."""
    if ON_CI:
        pytest.fail(f"{reason} (on CI this must run)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def aduan_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own ADUAN_HOME and fresh settings; nothing leaks between tests."""
    home = tmp_path / "aduan-home"
    monkeypatch.setenv("ADUAN_HOME", str(home))
    monkeypatch.delenv("ADUAN_DATABASE_URL", raising=False)
    monkeypatch.setenv("ADUAN_AUTHOR_SECRET", "test-author-secret")
    yield home


@pytest.fixture
def shared_data() -> Path:
    """The real corpora in ../shared/data (skip when absent, fail on CI)."""
    if not (SHARED_DATA / "surabaya" / "complaints.csv").exists():
        need(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_database() -> Iterator[str]:
    """A PostgreSQL database of this test session's own, migrated once, dropped at the end."""
    try:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception:
        yield ""
        return
    name = f"aduan_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> Iterator[str]:
    """URL of an empty, migrated database: a fresh SQLite file, or this session's PostgreSQL
    database with every table emptied after the test."""
    if request.param == "sqlite":
        path = tmp_path / "aduan.sqlite3"
        shutil.copy(_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("_postgres_database")
    if not url:
        need(POSTGRES_HELP.format(url=POSTGRES_URL))
    yield url
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def engine(db_url: str, monkeypatch: pytest.MonkeyPatch):
    """An engine on a clean database; also made the default (ADUAN_DATABASE_URL)."""
    monkeypatch.setenv("ADUAN_DATABASE_URL", db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine):
    """A sessionmaker on the clean database of ``engine``."""
    return make_session_factory(engine)
