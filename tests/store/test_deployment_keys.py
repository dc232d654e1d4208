"""One author key per deployment: PostgreSQL needs a configured key; every store remembers the
fingerprint of the key it was first harvested with and refuses another (both backends)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, select

from config.exceptions import ConfigError
from config.settings import Settings
from store.deployment_keys import author_key_for_store, fingerprint
from store.migrate import check, current_revision, downgrade, upgrade
from store.tables import DeploymentKey


def _settings(tmp_path, secret: str | None) -> Settings:
    return Settings(home=tmp_path / "home", author_secret=secret)


def test_the_first_key_is_recorded_and_another_is_refused(session_factory, tmp_path):
    key = author_key_for_store(factory=session_factory, settings=_settings(tmp_path, "key-one"))
    assert key == b"key-one"
    assert author_key_for_store(factory=session_factory, settings=_settings(tmp_path, "key-one"))
    with session_factory() as session:
        rows = session.execute(select(DeploymentKey.name, DeploymentKey.fingerprint)).all()
    assert rows == [("author_key", fingerprint(b"key-one"))]
    assert "key-one" not in rows[0][1]
    with pytest.raises(ConfigError) as info:
        author_key_for_store(factory=session_factory, settings=_settings(tmp_path, "key-two"))
    message = str(info.value)
    assert fingerprint(b"key-two") in message and fingerprint(b"key-one") in message
    assert "ADUAN_AUTHOR_SECRET" in message and "key-two" not in message


def test_postgresql_needs_a_configured_key_sqlite_may_generate_one(session_factory, tmp_path):
    settings = _settings(tmp_path, None)
    if session_factory.kw["bind"].dialect.name == "postgresql":
        with pytest.raises(ConfigError, match="ADUAN_AUTHOR_SECRET is not set"):
            author_key_for_store(factory=session_factory, settings=settings)
        with session_factory() as session:
            assert session.scalar(select(sa.func.count()).select_from(DeploymentKey)) == 0
        return
    key = author_key_for_store(factory=session_factory, settings=settings)
    assert key == (tmp_path / "home" / "secrets" / "author_key").read_text().encode()
    other_machine = _settings(tmp_path / "elsewhere", None)  # its own generated key
    with pytest.raises(ConfigError, match="ADUAN_HOME/secrets/author_key"):
        author_key_for_store(factory=session_factory, settings=other_machine)


def test_0007_creates_and_drops_deployment_keys(engine):
    downgrade(engine, "0006")
    assert "deployment_keys" not in inspect(engine).get_table_names()
    upgrade(engine, "0007")
    assert current_revision(engine) == "0007"
    columns = {c["name"] for c in inspect(engine).get_columns("deployment_keys")}
    assert columns == {"name", "fingerprint", "created_at"}
    upgrade(engine)
    check(engine)
