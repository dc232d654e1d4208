import pytest
from sqlalchemy import inspect

from store.db import ensure_schema, make_engine
from store.exceptions import NotMigrated
from store.migrate import check, current_revision, downgrade, head_revision, upgrade
from store.tables import Base


def test_upgrade_downgrade_upgrade_and_models_agree_with_migrations(engine):
    assert current_revision(engine) == head_revision()
    check(engine)  # alembic check: raises if tables.py and the migrations disagree
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    check(engine)


def test_empty_sqlite_upgrades_itself_on_first_use(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()


def test_a_database_with_an_old_schema_is_refused_with_the_command_to_run(engine):
    downgrade(engine, "base")
    try:
        with pytest.raises(NotMigrated, match="aduan db upgrade"):
            ensure_schema(engine)
    finally:
        upgrade(engine)


UNUSED_0001_TABLES = {
    "sources": {"name", "type", "enabled", "config", "updated_at"},
    "model_versions": {"version", "sha256", "path", "metrics", "created_at", "promoted_at"},
}


def test_0002_drops_the_unused_tables_and_its_downgrade_recreates_them(engine):
    assert not set(UNUSED_0001_TABLES) & set(inspect(engine).get_table_names())
    downgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    found = inspect(engine)
    for table, columns in UNUSED_0001_TABLES.items():
        assert {c["name"] for c in found.get_columns(table)} == columns
        assert found.get_pk_constraint(table)["name"] == f"pk_{table}"
    upgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    assert not set(UNUSED_0001_TABLES) & set(inspect(engine).get_table_names())
    upgrade(engine)
    check(engine)


def test_0003_adds_session_generation_and_login_attempts_and_its_downgrade_drops_them(engine):
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users"))
    downgrade(engine, "0002")
    found = inspect(engine)
    assert "login_attempts" not in found.get_table_names()
    assert "session_generation" not in {c["name"] for c in found.get_columns("users")}
    with engine.begin() as conn:  # an account made before 0003 ...
        conn.execute(
            text(
                "INSERT INTO users (name, role, agencies, password_hash, active, failed_logins,"
                " created_at) VALUES ('ana', 'admin', '[]', 'x', true, 0, '2026-01-01')"
            )
        )
    upgrade(engine, "0003")
    found = inspect(engine)
    assert {c["name"] for c in found.get_columns("login_attempts")} == {
        "key",
        "attempts",
        "window_start",
    }
    with engine.connect() as conn:  # ... starts at generation 0
        assert conn.execute(text("SELECT session_generation FROM users")).scalar_one() == 0
    upgrade(engine)
    check(engine)
