"""Model registry: bundle folders under one directory, a champion pointer and its history.

Layout of ``models_dir``::

    <version>/         model.joblib + manifest.json, one folder per version
    champion.json      {"version": ..., "history": [older, ..., current]}

``promote`` appends to the history; ``rollback`` drops the current champion from it and makes the
previous one champion again, in one step.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from classifier.bundle import Bundle, load_bundle, read_manifest
from classifier.exceptions import (
    BundleError,
    NoChampion,
    NothingToRollBack,
    RegistryError,
    UnknownVersion,
)

__all__ = ["ManifestSummary", "Registry"]

CHAMPION_FILE = "champion.json"


@dataclass(frozen=True)
class ManifestSummary:
    """One line of ``aduan models list``."""

    version: str
    created_at: str
    targets: list[str]
    n_rows: int
    is_champion: bool
    path: Path


class Registry:
    """Versions of trained bundles in ``models_dir`` with a champion pointer."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)

    # -- reading ---------------------------------------------------------------------------
    def _state(self) -> dict:
        path = self.models_dir / CHAMPION_FILE
        if not path.is_file():
            return {"version": None, "history": []}
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{path} is not valid JSON: {exc}") from None

    def champion_version(self) -> str | None:
        return self._state().get("version")

    def path_of(self, version: str) -> Path:
        path = self.models_dir / version
        if not version or "/" in version or version.startswith(".") or not path.is_dir():
            raise UnknownVersion(
                f"no model version {version!r} in {self.models_dir}; see `aduan models list`"
            )
        return path

    def manifest(self, version: str) -> dict:
        return read_manifest(self.path_of(version))

    def list(self) -> list[ManifestSummary]:
        champion = self.champion_version()
        out = []
        if not self.models_dir.is_dir():
            return out
        for path in sorted(self.models_dir.iterdir()):
            if not (path / "manifest.json").is_file():
                continue
            try:
                m = read_manifest(path)
            except BundleError:
                continue
            out.append(
                ManifestSummary(
                    version=m["version"],
                    created_at=m.get("created_at", ""),
                    targets=list(m["targets"]),
                    n_rows=int(m.get("n_rows", 0)),
                    is_champion=m["version"] == champion,
                    path=path,
                )
            )
        return sorted(out, key=lambda s: (s.created_at, s.version))

    def load(self, version: str | None = None) -> Bundle:
        """Load a version (None = the champion), verifying its sha256."""
        if version is None:
            version = self.champion_version()
            if version is None:
                raise NoChampion(
                    f"no champion model in {self.models_dir}; train one with "
                    "`aduan train --promote` or run `aduan models promote VERSION`"
                )
        return load_bundle(self.path_of(version))

    # -- writing ---------------------------------------------------------------------------
    def add(self, bundle_dir: Path, *, move: bool = False) -> str:
        """Copy (or move) a trained bundle folder into the registry, verified first; returns
        its version."""
        bundle_dir = Path(bundle_dir)
        version = load_bundle(bundle_dir).version
        target = self.models_dir / version
        if target.resolve() == bundle_dir.resolve():
            return version
        if target.exists():
            raise RegistryError(f"version {version} already exists in {self.models_dir}")
        self.models_dir.mkdir(parents=True, exist_ok=True)
        if move and bundle_dir.parent.resolve() == self.models_dir.resolve():
            os.replace(bundle_dir, target)
            return version
        tmp = self.models_dir / f".{version}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(bundle_dir, tmp)
        os.replace(tmp, target)
        if move:
            shutil.rmtree(bundle_dir, ignore_errors=True)
        return version

    def promote(self, version: str) -> None:
        """Make `version` the champion (it must load and verify)."""
        load_bundle(self.path_of(version))
        state = self._state()
        history = list(state.get("history", []))
        if state.get("version") == version:
            return
        history.append(version)
        self._write({"version": version, "history": history, "changed_at": _now()})

    def rollback(self) -> str:
        """Make the previous champion champion again; returns its version."""
        state = self._state()
        history = list(state.get("history", []))
        if len(history) < 2:
            raise NothingToRollBack(f"no previous champion to roll back to in {self.models_dir}")
        history.pop()
        previous = history[-1]
        self.path_of(previous)
        self._write({"version": previous, "history": history, "changed_at": _now()})
        return previous

    def _write(self, state: dict) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        path = self.models_dir / CHAMPION_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
