"""The ``aduan`` CLI of the store: db upgrade/current, export, and one-line errors."""

import csv
import io
import json
import subprocess
import sys

from store.repository import upsert_posts
from tests.factories import make_post


def aduan(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_db_upgrade_and_current(db_url):
    result = aduan("db", "upgrade", env={"ADUAN_DATABASE_URL": db_url})
    assert result.returncode == 0, result.stderr
    result = aduan("db", "current", env={"ADUAN_DATABASE_URL": db_url})
    assert "up to date" in result.stdout


def test_export_streams_jsonl_and_csv(session_factory, db_url):
    with session_factory.begin() as session:
        upsert_posts(
            session=session, posts=[make_post(i, text=f'lampu mati, "gelap" {i}') for i in range(3)]
        )
    result = aduan("export", "posts", "--format", "jsonl", env={"ADUAN_DATABASE_URL": db_url})
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["external_id"] for r in rows] == ["ext-0", "ext-1", "ext-2"]
    assert rows[1]["text"] == 'lampu mati, "gelap" 1'
    result = aduan("export", "posts", "--format", "csv", env={"ADUAN_DATABASE_URL": db_url})
    parsed = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["text"] for r in parsed] == [f'lampu mati, "gelap" {i}' for i in range(3)]


def test_bad_database_url_is_one_line_and_exit_2():
    result = aduan("export", "posts", env={"ADUAN_DATABASE_URL": "nonsense"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "ADUAN_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_postgresql_names_how_to_start_it():
    url = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    result = aduan("db", "current", env={"ADUAN_DATABASE_URL": url})
    assert result.returncode == 2
    assert "pg_ctlcluster" in result.stderr and "Traceback" not in result.stderr


def test_unwritable_home_names_the_setting(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    result = aduan("export", "posts", env={"ADUAN_HOME": str(blocked / "home")})
    assert result.returncode == 2
    assert "ADUAN_HOME" in result.stderr


def test_debug_shows_the_traceback():
    result = aduan("--debug", "export", "posts", env={"ADUAN_DATABASE_URL": "nonsense"})
    assert result.returncode == 1
    assert "Traceback" in result.stderr
