"""Engines, sessions and the schema check: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from config.exceptions import ConfigError
from config.settings import load_settings
from store.exceptions import DatabaseUnreachable, NotMigrated

log = logging.getLogger(__name__)

POSTGRES_HINT = (
    "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; errors name ``ADUAN_DATABASE_URL`` and what to do."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"ADUAN_DATABASE_URL is not a database URL: {url!r} "
            "(expected e.g. sqlite:///var/aduan.sqlite3 or postgresql+psycopg://user@host/db)"
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # a probe of its own: engines made at once in several threads must not race
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".aduan-write-test-"):
                pass
        except OSError as exc:
            raise ConfigError(
                f"cannot write to {folder} ({exc.strerror}); set ADUAN_HOME to a writable folder"
            ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            # hide_parameters: a failing statement's error (logged, shown by Prefect) never
            # carries the values it was given (post texts, raw JSON, password hashes).
            engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(
                parsed, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
            )
    except (NoSuchModuleError, ArgumentError) as exc:
        raise ConfigError(f"ADUAN_DATABASE_URL uses an unsupported driver: {exc}") from None
    return engine


def check_connection(engine: Engine) -> None:
    """Raise DatabaseUnreachable with a helpful line if the database does not answer."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        hint = POSTGRES_HINT if engine.dialect.name == "postgresql" else "check ADUAN_HOME"
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        url = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnreachable(f"cannot connect to {url}: {reason}; {hint}") from None


def ensure_schema(engine: Engine) -> None:
    """Upgrade an empty SQLite database; refuse an un-migrated or outdated one otherwise."""
    from store.migrate import current_revision, head_revision, upgrade

    check_connection(engine)
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if (
        current is None
        and engine.dialect.name == "sqlite"
        and not inspect(engine).get_table_names()
    ):
        log.info("new SQLite database: creating the schema")
        upgrade(engine)
        return
    url = engine.url.render_as_string(hide_password=True)
    raise NotMigrated(
        f"the database {url} is at schema {current or 'none'}, this code needs {head}: "
        "run `aduan db upgrade`"
    )


_checked: set[str] = set()
# Threads of one process (concurrent harvest tasks) must not create a new schema twice at once.
_schema_lock = threading.Lock()


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(url: str | None = None, *, check: bool = True) -> Engine:
    """The shared engine for ``url`` (None: the ADUAN_* settings' database, read now), schema
    checked once per process."""
    url = url or load_settings().sqlalchemy_url
    engine = _engine_for(url)
    if check and url not in _checked:
        with _schema_lock:
            if url not in _checked:
                ensure_schema(engine)
                _checked.add(url)
    return engine


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """A sessionmaker bound to ``engine`` (default: the settings' database)."""
    return sessionmaker(engine or get_engine(), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session
