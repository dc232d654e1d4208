"""Issue 19 item 9: a swapped model.joblib with a rewritten manifest hash is refused BEFORE it is
unpickled: the registry keeps its own index of trusted hashes (written by train, retrain and
promote), outside the bundle folders."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from classifier.bundle import MANIFEST, MODEL_FILE, sha256_file
from classifier.exceptions import BundleTampered, BundleUntrusted
from classifier.registry import TRUSTED_FILE, Registry

RAN = "pickle-payload-ran"


class Payload:
    """Unpickling this writes a file: proof that untrusted code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, RAN))


def _swap(folder: Path, marker: Path) -> None:
    """What an attacker with write access to the bundle folder does: new pickle, new hash."""
    (folder / MODEL_FILE).write_bytes(pickle.dumps(Payload(marker)))
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["model_sha256"] = sha256_file(folder / MODEL_FILE)
    (folder / MANIFEST).write_text(json.dumps(manifest))


def test_a_swapped_champion_with_a_rewritten_hash_never_runs(small_bundle, tmp_path):
    registry = Registry(tmp_path / "models")
    version = registry.add(small_bundle)
    registry.promote(version)
    assert registry.load().version == version
    marker = tmp_path / "pwned"
    _swap(registry.path_of(version), marker)
    with pytest.raises(BundleTampered, match="trusted"):
        registry.load()
    with pytest.raises(BundleTampered):
        registry.promote(version)
    assert not marker.exists()


def test_a_version_dropped_into_the_folder_is_not_trusted(small_bundle, tmp_path):
    import shutil

    registry = Registry(tmp_path / "models")
    registry.promote(registry.add(small_bundle))
    marker = tmp_path / "pwned"
    planted = tmp_path / "models" / "v-planted"
    shutil.copytree(small_bundle, planted)
    manifest = json.loads((planted / MANIFEST).read_text())
    (planted / MANIFEST).write_text(json.dumps({**manifest, "version": "v-planted"}))
    _swap(planted, marker)
    champion = json.loads((tmp_path / "models" / "champion.json").read_text())
    (tmp_path / "models" / "champion.json").write_text(
        json.dumps({**champion, "version": "v-planted"})
    )
    with pytest.raises(BundleUntrusted, match="aduan models promote v-planted"):
        registry.load()
    assert not marker.exists()


def test_the_index_lives_outside_the_bundle_folders(small_bundle, tmp_path):
    registry = Registry(tmp_path / "models")
    version = registry.add(small_bundle)
    index = json.loads((tmp_path / "models" / TRUSTED_FILE).read_text())
    assert index[version] == sha256_file(registry.path_of(version) / MODEL_FILE)
    assert not (registry.path_of(version) / TRUSTED_FILE).exists()
