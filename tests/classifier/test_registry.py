from __future__ import annotations

from pathlib import Path

import pytest

from classifier.exceptions import BundleTampered, NoChampion, NothingToRollBack, UnknownVersion
from classifier.registry import Registry


def _second_version(small_bundle: Path, tmp_path: Path) -> Path:
    """A copy of the bundle under another version name (same model)."""
    import json
    import shutil

    copy = tmp_path / "other"
    shutil.copytree(small_bundle, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["version"] = manifest["version"] + "-b"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_add_promote_rollback(small_bundle: Path, tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    assert reg.list() == [] and reg.champion_version() is None
    with pytest.raises(NoChampion):
        reg.load()
    v1 = reg.add(small_bundle)
    v2 = reg.add(_second_version(small_bundle, tmp_path))
    assert [s.version for s in reg.list()] == sorted([v1, v2])
    with pytest.raises(NothingToRollBack):
        reg.rollback()
    reg.promote(v1)
    assert reg.load().version == v1
    reg.promote(v2)
    assert reg.champion_version() == v2
    assert [s.version for s in reg.list() if s.is_champion] == [v2]
    assert reg.rollback() == v1
    assert reg.champion_version() == v1
    with pytest.raises(NothingToRollBack):
        reg.rollback()


def test_unknown_version_and_tampered_promotion(small_bundle: Path, tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    with pytest.raises(UnknownVersion):
        reg.promote("nope")
    with pytest.raises(UnknownVersion):
        reg.load("../etc")
    version = reg.add(small_bundle)
    with open(reg.path_of(version) / "model.joblib", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(BundleTampered):
        reg.promote(version)
    assert reg.champion_version() is None
