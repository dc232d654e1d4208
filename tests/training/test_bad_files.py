"""Issue 19 item 11: bad files give one line (exit 2), never a traceback or a stored 100 MB cell:
Latin-1 sources.yaml / taxonomy.yaml, labels not in the taxonomy, over-long cells."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from classifier.exceptions import DataError
from store.tables import TrainingLabel
from training.label_import import MAX_LABEL_CHARS, MAX_TEXT_CHARS, import_file

REPO = Path(__file__).resolve().parents[2]
KUPANG = REPO / "profiles" / "kupang"
MAP = {"text": "isi", "agency": "instansi", "topic": "kategori"}


def aduan(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def _latin1(folder: Path, name: str) -> Path:
    shutil.copytree(KUPANG, folder, ignore=shutil.ignore_patterns("seed", "demo"))
    path = folder / name
    path.write_bytes(path.read_bytes() + "\n# Kecamatan Maulafa – café\n".encode("cp1252"))
    return folder


@pytest.mark.parametrize(
    "name, command",
    [("sources.yaml", ["sources", "list"]), ("taxonomy.yaml", ["lapor", "check"])],
)
def test_a_latin1_profile_file_is_one_line(tmp_path, name, command):
    profile = _latin1(tmp_path / "profile", name)
    result = aduan(*command, env={"ADUAN_PROFILE": str(profile)})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "UTF-8" in lines[0]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["isi", "instansi", "kategori"], *rows])
    return path


def _stored(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(TrainingLabel))


def test_labels_not_in_the_taxonomy_are_listed_and_refused(session_factory, tmp_path):
    from config.profile import get_profile

    path = _csv(
        tmp_path / "labels.csv",
        [
            ["Sampah menumpuk di pasar Oeba", "dlhk", "sampah"],
            ["Jalan berlubang di Oebobo", "dinas_pu", "jalan_rusak"],
            ["Lampu jalan mati", "pln", "lampu"],
            ["Jalan rusak lagi", "dinas_pu", "jalan_rusak"],
        ],
    )
    with pytest.raises(DataError) as caught:
        import_file(path, fmt="csv", mapping=MAP, factory=session_factory, profile=get_profile())
    message = str(caught.value)
    assert "agency 'dinas_pu' (rows 3, 5)" in message and "topic 'lampu' (row 4)" in message
    assert "\n" not in message
    assert _stored(session_factory) == 0  # nothing half-imported


@pytest.mark.parametrize("column, size", [(0, MAX_TEXT_CHARS + 1), (1, MAX_LABEL_CHARS + 1)])
def test_an_over_long_cell_is_refused_with_its_row(session_factory, tmp_path, column, size):
    row = ["Sampah menumpuk di pasar Oeba", "dlhk", "sampah"]
    row[column] = "x" * size
    path = _csv(tmp_path / "labels.csv", [["Air mati", "perumda_air", "air_bersih"], row])
    with pytest.raises(DataError, match=r"labels.csv:3: .* longer than"):
        import_file(path, fmt="csv", mapping=MAP, factory=session_factory)
    assert _stored(session_factory) == 0


def test_the_cli_refuses_unknown_labels_in_one_line(session_factory, tmp_path, engine):
    path = _csv(tmp_path / "labels.csv", [["Jalan berlubang", "dinas_pu", "jalan_rusak"]])
    result = aduan(
        "data",
        "import",
        str(path),
        "--map",
        "text=isi,agency=instansi,topic=kategori",
        env={"ADUAN_DATABASE_URL": engine.url.render_as_string(hide_password=False)},
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "dinas_pu" in result.stderr and "taxonomy" in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_csv_and_jsonl_share_one_encoding_rule(session_factory, tmp_path, fmt):
    """UTF-8 with a byte-order mark is read; other bytes are one BadEncoding line, as for CSV."""
    from classifier.exceptions import BadEncoding

    row = {"isi": "Sampah menumpuk di pasar Oeba", "instansi": "dlhk", "kategori": "sampah"}
    lines = {
        "csv": ",".join(row) + "\n" + ",".join(row.values()) + "\n",
        "jsonl": json.dumps(row) + "\n",
    }[fmt]
    good = tmp_path / f"bom.{fmt}"
    good.write_bytes(b"\xef\xbb\xbf" + lines.encode("utf-8"))
    report, _ = import_file(good, fmt=None, mapping=MAP, factory=session_factory)
    assert report.inserted == 1
    bad = tmp_path / f"latin.{fmt}"
    bad.write_bytes(lines.replace("Oeba", "Oeba – café").encode("cp1252"))
    with pytest.raises(BadEncoding, match=f"latin.{fmt} is not valid UTF-8"):
        import_file(bad, fmt=None, mapping=MAP, factory=session_factory)
