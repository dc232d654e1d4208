"""`aduan data import`: provenance, exact duplicates merged, conflicts reported and resolved."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from typer.testing import CliRunner

from cases.states import approve_case
from cli.main import app
from store.cases import create_case
from store.repository import upsert_posts
from store.tables import PostRow, TrainingLabel
from store.training import load_label_records
from tests.factories import make_post
from training.dataset import resolve_labels
from training.label_import import import_file

HEADER = ["isi", "instansi", "kategori", "tanggal"]
FIRST = [
    ["Jalan rusak di Oebobo, lubang besar", "pupr", "jalan_rusak", "2024-01-01T08:00:00+08:00"],
    ["jalan  RUSAK di oebobo, lubang besar", "pupr", "jalan_rusak", "2024-01-01T09:00:00+08:00"],
    ["Sampah menumpuk di pasar Oeba", "dlhk", "sampah", "2024-01-02T08:00:00+08:00"],
    ["Sampah menumpuk di pasar Oeba", "dinkes", "sampah", "2024-01-03T08:00:00+08:00"],
    ["   ", "dlhk", "sampah", "2024-01-03T08:00:00+08:00"],
]
SECOND = [
    ["Sampah menumpuk di pasar Oeba", "dlhk", "sampah", "2024-01-02T08:00:00"],
    ["Jalan rusak di Oebobo, lubang besar", "dishub", "jalan_rusak", "2024-02-01T08:00:00"],
    ["Air mati tiga hari di Kelapa Lima", "perumda_air", "air_bersih", "2024-02-02T08:00:00"],
]
MAP = "text=isi,agency=instansi,topic=kategori,created_at=tanggal"


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    for row in [HEADER, *rows]:
        book.active.append(row)
    book.save(path)
    return path


def test_import_reports_conflicts(session_factory, tmp_path: Path) -> None:
    first = _csv(tmp_path / "lapor_2024_01.csv", FIRST)
    result = CliRunner().invoke(app, ["data", "import", str(first), "--map", MAP])
    assert result.exit_code == 0, result.output
    assert "5 rows read; 3 labels stored, 1 exact duplicates merged" in result.output
    assert "1 empty" not in result.output and "1 with empty text skipped" in result.output
    assert "1 texts with conflicting labels" in result.output
    assert "agency=dlhk" in result.output and "agency=dinkes" in result.output
    assert "majority vote" in result.output  # the resolution rule is stated

    again = CliRunner().invoke(app, ["data", "import", str(first), "--map", MAP])
    assert "already imported" in again.output

    second = _xlsx(tmp_path / "lapor_2024_02.xlsx", SECOND)
    report, _ = import_file(
        second,
        fmt="xlsx",
        mapping=dict(p.split("=") for p in MAP.split(",")),
        factory=session_factory,
        timezone="Asia/Makassar",
    )
    # Both texts of this file seen before conflict: Sampah already did, Jalan does now.
    assert (report.inserted, report.already_present, len(report.conflicts)) == (2, 1, 2)
    agencies = sorted(sorted({v["agency"] for _, v in c.versions}) for c in report.conflicts)
    assert agencies == [["dinkes", "dlhk"], ["dishub", "pupr"]]
    conflict = next(c for c in report.conflicts if "pupr" in str(c.versions))
    assert any(where.endswith("lapor_2024_01.csv:2") for where, _ in conflict.versions)

    with session_factory() as session:
        records = load_label_records(session=session)
        stored = {(r.text[:6], r.agency): r.provenance for r in session.query(TrainingLabel)}
    assert stored[("Sampah", "dlhk")]["also_in"][0].endswith("lapor_2024_02.xlsx:2")
    assert stored[("Jalan ", "pupr")]["sha256"] and stored[("Jalan ", "pupr")]["row"] == "2"
    road = next(r for r in records if r.labels["agency"] == "pupr")
    assert road.weight == 2  # row 3 of the first file was merged into row 2
    resolved = {r.text.split(",")[0].lower(): r for r in resolve_labels(records)[0]}
    # Sampah: dlhk once (the xlsx repeats that row, which is not a new vote) and dinkes once:
    # the tie goes to the most recent row, dinkes.
    assert resolved["sampah menumpuk di pasar oeba"].labels["agency"] == "dinkes"
    # Jalan: pupr twice (two rows merged) beats dishub once, although dishub is more recent.
    assert resolved["jalan rusak di oebobo"].labels["agency"] == "pupr"
    assert resolved["jalan rusak di oebobo"].conflicting

    # A facilitator's correction of that text overrides every imported label.
    with session_factory() as session, session.begin():
        upsert_posts(session=session, posts=[make_post(1, text=FIRST[0][0])])
        post = session.query(PostRow).one()
        case = create_case(
            session=session,
            post=post,
            agency="pupr",
            topic="jalan_rusak",
            agency_confidence=0.6,
            topic_confidence=0.7,
        )
        approve_case(session=session, case_id=case.id, actor="ina", agency="dishub")
    with session_factory() as session:
        resolved = {r.key: r for r in resolve_labels(load_label_records(session=session))[0]}
    assert resolved[road.key].labels["agency"] == "dishub"
    assert resolved[road.key].origin == "review"
