"""`aduan train | classify | evaluate | models` end to end on a small slice of the shared corpus."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from .conftest import NEGATIVE_TEXTS, write_csv

KEYS = {
    "n",
    "n_unknown_label",
    "n_labelled",
    "accuracy",
    "accuracy_all",
    "macro_f1",
    "coverage_at_95",
    "coverage_at_90",
}


@pytest.fixture
def aduan(monkeypatch, capsys, tmp_path):
    """Run the real `aduan` entry point in-process; returns (exit code, stdout, stderr)."""
    import cli.main as cli

    monkeypatch.setenv("ADUAN_MODELS_DIR", str(tmp_path / "models"))

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["aduan", *args])
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _negatives_csv(path: Path) -> Path:
    rows = [{"full_text": t, "status": "Netral"} for t in NEGATIVE_TEXTS]
    rows.append(
        {
            "full_text": "pelayanan lapor lambat sekali, aduan saya tidak dibalas",
            "status": "Negatif",
        }
    )
    return write_csv(path, rows)


def test_train_classify_evaluate_models(aduan, small_csv, later_rows, tmp_path) -> None:
    negs = _negatives_csv(tmp_path / "negatives.csv")
    code, out, err = aduan(
        "train",
        "--data",
        str(small_csv),
        "--targets",
        "agency,topic",
        "--min-class-size",
        "8",
        "--negatives",
        str(negs),
        "--validation-fraction",
        "0",
        "--promote",
    )
    assert code == 0, err
    assert "saved to" in out and "is now the champion" in out
    version = out.split()[1]
    card = (tmp_path / "models" / version / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "No held-out figures" in card and "Not in this card" in card

    code, out, _ = aduan("models", "list")
    assert code == 0 and out.startswith(f"* {version}")

    code, out, _ = aduan("classify", "Jalan berlubang besar di depan SD mohon segera diperbaiki")
    assert code == 0 and out.startswith("relevance ") and "agency:" in out and "topic:" in out

    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(
        '{"id": 7, "text": "lampu PJU mati"}\n\n"selamat pagi"\n{"id": 8, "text": ""}\n'
    )
    code, out, _ = aduan("classify", "--input", str(jsonl), "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r.get("id") for r in lines] == [7, None, 8]
    assert set(lines[0]) == {"id", "relevance", "agency", "topic"}
    assert len(lines[0]["agency"]["alternatives"]) == 3
    assert lines[2]["relevance"] == 0.0

    later = write_csv(tmp_path / "later.csv", later_rows)
    code, out, _ = aduan("evaluate", "--data", str(later), "--json")
    result = json.loads(out)
    assert code == 0 and set(result) == {"agency", "topic", "posts_per_s"}
    assert set(result["agency"]) == KEYS and result["agency"]["n"] == len(later_rows)

    code, out, _ = aduan("models", "show", version)
    assert code == 0 and json.loads(out)["negative_files"][0]["rows"] == len(NEGATIVE_TEXTS)

    code, _, err = aduan("models", "rollback")
    assert code == 2 and err.startswith("error: no previous champion")


def test_train_writes_a_model_card_naming_the_classes(aduan, small_csv, tmp_path) -> None:
    bundle = tmp_path / "bundle"
    code, out, err = aduan(
        "train",
        "--data",
        str(small_csv),
        "--targets",
        "agency,topic",
        "--min-class-size",
        "8",
        "--negatives",
        str(_negatives_csv(tmp_path / "negatives.csv")),
        "--validation-fraction",
        "0.2",
        "--out",
        str(bundle),
    )
    assert code == 0, err
    assert f"model card: {bundle / 'MODEL_CARD.md'}" in out
    card = (bundle / "MODEL_CARD.md").read_text(encoding="utf-8")
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    assert card.startswith(f"# Model card: {manifest['version']}")
    for target in ("agency", "topic"):
        counts = manifest["class_counts"][target]
        assert len(manifest["classes"][target]) >= 2
        for name in manifest["classes"][target]:
            assert f"{name} ({counts[name]})" in card, name
        held = manifest["validation"][target]
        row = (
            f"| {target} | {held['n']} | {held['n_unknown_label']} | {held['accuracy']:.3f} "
            f"| {held['accuracy_all']:.3f} |"
        )
        assert row in card
    assert "Not in this card" in card


def _one_line_error(result: tuple[int, str, str], *needles: str) -> None:
    code, _, err = result
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err


def test_user_errors(aduan, small_csv, small_bundle, corpus_rows, tmp_path) -> None:
    model = str(small_bundle)
    _one_line_error(
        aduan("evaluate", "--model", model, "--data", str(small_csv), "--targets", "kategori"),
        "kategori",
        "agency, topic",
    )
    _one_line_error(
        aduan("evaluate", "--model", model, "--data", str(small_csv), "--text-column", "teks"),
        "'teks'",
        "columns found: id, text",
    )
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("text,agency\ncaf\xe9 rusak,A\n".encode("latin-1"))
    _one_line_error(aduan("train", "--data", str(bad), "--targets", "agency"), "UTF-8")
    one = write_csv(tmp_path / "one.csv", [{**r, "agency": "X"} for r in corpus_rows[:40]])
    _one_line_error(
        aduan("train", "--data", str(one), "--targets", "agency", "--min-class-size", "1"),
        "1 class",
    )
    tampered = tmp_path / "tampered"
    shutil.copytree(small_bundle, tampered)
    with open(tampered / "model.joblib", "ab") as fh:
        fh.write(b"!")
    _one_line_error(aduan("classify", "--model", str(tampered), "jalan rusak"), "sha256")
    (tampered / "model.joblib").unlink()
    _one_line_error(aduan("classify", "--model", str(tampered), "jalan rusak"), "missing")
    _one_line_error(aduan("classify", "jalan rusak"), "no champion")
    _one_line_error(aduan("classify", "--model", model), "TEXT")


def test_odd_text_classifies_with_low_relevance(aduan, small_bundle) -> None:
    for text in ("", "   ", "🙏🙏🙏", "x" * 1_000_000):
        code, out, err = aduan("classify", "--model", str(small_bundle), "--json", text)
        assert code == 0, err
        assert json.loads(out)["relevance"] < 0.5


def test_default_negatives_come_from_the_profile(monkeypatch, tmp_path) -> None:
    from training.dataset import default_negatives as _default_negatives

    profile = tmp_path / "profile"
    monkeypatch.setenv("ADUAN_PROFILE", str(profile))
    assert _default_negatives() == []
    (profile / "seed").mkdir(parents=True)
    (profile / "seed" / "non_complaints.csv").write_text("id,text,kind\nn1,halo,greeting\n")
    assert _default_negatives() == [profile / "seed" / "non_complaints.csv"]
