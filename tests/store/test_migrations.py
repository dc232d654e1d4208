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
