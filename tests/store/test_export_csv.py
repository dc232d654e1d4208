"""Issue 19 item 7: ``aduan export posts --format csv`` defuses formula cells like the web export
(one shared helper), also a leading LF, space and full-width ＝."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.export import FORMULA_STARTS, spreadsheet_safe
from store.repository import upsert_posts
from tests.factories import make_post
from tests.store.test_cli import aduan

HOSTILE = [
    '=HYPERLINK("https://evil.example","klik")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "\uff1d1+1",  # full-width equals sign
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_cli_csv_export_defuses_formula_cells(session_factory, db_url, text):
    with session_factory.begin() as session:
        upsert_posts(session=session, posts=[make_post(1, text=text, url=text)])
    result = aduan("export", "posts", "--format", "csv", env={"ADUAN_DATABASE_URL": db_url})
    assert result.returncode == 0, result.stderr
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    for cell in (row["text"], row["url"]):  # (text-mode pipes turn a lone CR into LF)
        assert cell.startswith("'") and cell[1:].strip() == text.strip()


@given(st.text(max_size=20))
def test_a_safe_cell_never_starts_like_a_formula(text):
    cell = spreadsheet_safe(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (text, "'" + text)


def test_plain_values_are_left_alone():
    assert spreadsheet_safe("jalan rusak") == "jalan rusak"
    assert spreadsheet_safe(12) == 12 and spreadsheet_safe(None) is None


def test_an_export_file_that_cannot_be_written_is_one_line_and_exit_2(db_url, tmp_path):
    target = tmp_path / "no-such-folder" / "posts.csv"
    result = aduan("export", "posts", "--out", str(target), env={"ADUAN_DATABASE_URL": db_url})
    assert result.returncode == 2, result.stderr
    assert f"cannot write {target}" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
