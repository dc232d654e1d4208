from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, text

from store.db import ensure_schema, make_engine
from store.exceptions import NotMigrated
from store.migrate import check, current_revision, downgrade, head_revision, upgrade
from store.tables import Base, UTCDateTime


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
    downgrade(engine, "0002")
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


def test_0003_adds_by_publisher_false_for_rows_stored_before_it(engine):
    downgrade(engine, "0002")
    assert "by_publisher" not in {c["name"] for c in inspect(engine).get_columns("posts")}
    old_posts = sa.table(  # the posts table as 0002 left it (without by_publisher)
        "posts",
        *(sa.column(name) for name in ("source", "external_id", "text", "content_hash", "state")),
        *(sa.column(name, UTCDateTime()) for name in ("created_at", "fetched_at")),
    )
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(old_posts).values(
                source="fb",
                external_id="old-1",
                text="air mati",
                content_hash="h",
                state="new",
                created_at=now,
                fetched_at=now,
            )
        )
    upgrade(engine, "0003")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT by_publisher FROM posts")).scalar_one() in (False, 0)
        conn.execute(text("DELETE FROM posts"))
    downgrade(engine, "0002")
    assert "by_publisher" not in {c["name"] for c in inspect(engine).get_columns("posts")}
    upgrade(engine)
    check(engine)


def test_0004_adds_session_generation_and_login_attempts_and_its_downgrade_drops_them(engine):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users"))
    downgrade(engine, "0003")
    found = inspect(engine)
    assert "login_attempts" not in found.get_table_names()
    assert "session_generation" not in {c["name"] for c in found.get_columns("users")}
    with engine.begin() as conn:  # an account made before 0004 ...
        conn.execute(
            text(
                "INSERT INTO users (name, role, agencies, password_hash, active, failed_logins,"
                " created_at) VALUES ('ana', 'admin', '[]', 'x', true, 0, '2026-01-01')"
            )
        )
    upgrade(engine, "0004")
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


def test_0005_creates_the_reply_outbox_and_its_downgrade_drops_it(engine):
    assert "replies" in inspect(engine).get_table_names()
    uniques = inspect(engine).get_unique_constraints("replies")
    assert [u["column_names"] for u in uniques] == [["post_id", "kind"]]
    downgrade(engine, "0004")
    assert "replies" not in inspect(engine).get_table_names()
    upgrade(engine, "0005")
    assert {"state", "target_id", "reply_id", "kind"} <= {
        c["name"] for c in inspect(engine).get_columns("replies")
    }
    upgrade(engine)  # back to head: the fixture empties every table of the models
    check(engine)


def test_0006_adds_case_location_null_for_cases_stored_before_it(engine):
    downgrade(engine, "0005")
    assert "location" not in {c["name"] for c in inspect(engine).get_columns("cases")}
    with engine.begin() as conn:  # a case made before 0006 ...
        conn.execute(text("DELETE FROM cases"))
        conn.execute(
            text(
                "INSERT INTO cases (state, urgency, created_at, updated_at, version)"
                " VALUES ('open', 1, '2026-01-01', '2026-01-01', 1)"
            )
        )
    upgrade(engine, "0006")
    columns = {c["name"] for c in inspect(engine).get_columns("cases")}
    assert {"location", "location_origin", "location_candidates", "location_unknown"} <= columns
    with engine.connect() as conn:  # ... has no location
        assert conn.execute(text("SELECT location FROM cases")).scalar_one() is None
    downgrade(engine, "0005")
    assert "location" not in {c["name"] for c in inspect(engine).get_columns("cases")}
    upgrade(engine)
    check(engine)


def test_0009_adds_post_photo_urls_null_for_posts_stored_before_it(engine):
    downgrade(engine, "0008")
    assert "photo_urls" not in {c["name"] for c in inspect(engine).get_columns("posts")}
    now = datetime(2026, 12, 2, 8, tzinfo=UTC)
    old_posts = sa.table(  # a Facebook post stored before 0009: its photo only in raw
        "posts",
        *(sa.column(n) for n in ("source", "external_id", "text", "content_hash", "state", "raw")),
        *(sa.column(name, UTCDateTime()) for name in ("created_at", "fetched_at")),
    )
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM posts"))
        conn.execute(
            sa.insert(old_posts).values(
                source="fb",
                external_id="old-1",
                text="jalan berlubang",
                content_hash="h",
                state="new",
                raw='{"full_picture": "https://scontent.xx.fbcdn.net/v/contoh.jpg"}',
                created_at=now,
                fetched_at=now,
            )
        )
    upgrade(engine, "0009")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT photo_urls FROM posts")).scalar_one() is None
        conn.execute(text("DELETE FROM posts"))
    downgrade(engine, "0008")
    assert "photo_urls" not in {c["name"] for c in inspect(engine).get_columns("posts")}
    upgrade(engine)
    check(engine)
