"""Helpers shared by the benchmark scripts: timing, a scratch PostgreSQL database, JSON output."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

POSTGRES_URL = os.environ.get(
    "ADUAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def scratch_postgres() -> Iterator[str | None]:
    """A migrated PostgreSQL database of its own for one benchmark run (None if unreachable)."""
    from sqlalchemy import create_engine, text

    from store.db import make_engine
    from store.migrate import upgrade

    try:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # the benchmark reports it and carries on with SQLite
        print(f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}", file=sys.stderr)
        yield None
        return
    name = f"aduan_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start


def emit(figures: dict) -> None:
    """The last line of every benchmark: its figures as one JSON object."""
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in figures.items()}))
