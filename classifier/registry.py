"""Model registry: bundle folders under one directory, a champion pointer and its history."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from classifier.bundle import MODEL_FILE, Bundle, load_bundle, read_manifest, sha256_file
from classifier.exceptions import (
    BundleError,
    BundleUntrusted,
    NoChampion,
    NothingToRollBack,
    RegistryError,
    UnknownVersion,
)

__all__ = ["ManifestSummary", "Registry"]

CHAMPION_FILE = "champion.json"
TRUSTED_FILE = "trusted.json"


@dataclass(frozen=True)
class ManifestSummary:
    """One line of ``aduan models list``."""

    version: str
    created_at: str
    targets: list[str]
    n_rows: int
    is_champion: bool
    path: Path


# Layout of ``models_dir``::
#
#     <version>/         model.joblib + manifest.json, one folder per version
#     champion.json      {"version": ..., "history": [older, ..., current]}
#     trusted.json       {version: sha256 of its model.joblib}: written only by ``add`` (train,
#                        retrain) and ``promote``; a bundle folder's own manifest cannot vouch for
#                        itself, so a swapped pickle with a rewritten hash is refused unopened
#
# ``promote`` appends to the history; ``rollback`` drops the current champion from it and makes the
# previous one champion again, in one step.
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

    def _trusted(self) -> dict[str, str]:
        path = self.models_dir / TRUSTED_FILE
        if not path.is_file():
            return {}
        try:
            index = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RegistryError(f"{path} is not valid JSON: {exc}") from None
        return {str(k): str(v) for k, v in index.items()} if isinstance(index, dict) else {}

    def _trust(self, version: str, sha256: str) -> None:
        # read-modify-write under a lock: two retrains adding at once must both be kept
        self.models_dir.mkdir(parents=True, exist_ok=True)
        with open(self.models_dir / ".trusted.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            index = self._trusted() | {version: sha256}
            self._write_json(TRUSTED_FILE, dict(sorted(index.items())))

    def is_trusted(self, version: str) -> bool:
        """True when the trusted index has ``version`` (its file may still have been swapped:
        ``load`` checks that)."""
        return version in self._trusted()

    def trusted_sha256(self, version: str) -> str:
        """The hash the registry trusts for ``version``; BundleUntrusted when it has none."""
        sha = self._trusted().get(version)
        if sha is None:
            raise BundleUntrusted(
                f"model {version} is not in {self.models_dir / TRUSTED_FILE} (written only by "
                "`aduan train`, `aduan run retrain` and `aduan models promote`); not loaded. "
                f"If you trust it, run `aduan models promote {version}`"
            )
        return sha

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
        """Load a version (None = the champion), its sha256 checked against the trusted index
        before it is unpickled."""
        if version is None:
            version = self.champion_version()
            if version is None:
                raise NoChampion(
                    f"no champion model in {self.models_dir}; train one with "
                    "`aduan train --promote` or run `aduan models promote VERSION`"
                )
        path = self.path_of(version)
        return load_bundle(path, trusted_sha256=self.trusted_sha256(version))

    # -- writing ---------------------------------------------------------------------------
    def add(self, bundle_dir: Path, *, move: bool = False) -> str:
        """Copy (or move) a trained bundle folder into the registry, verified first; returns
        its version."""
        bundle_dir = Path(bundle_dir)
        version = load_bundle(bundle_dir).version
        sha = sha256_file(bundle_dir / MODEL_FILE)
        target = self.models_dir / version
        if target.resolve() == bundle_dir.resolve():
            self._trust(version, sha)
            return version
        if target.exists():
            raise RegistryError(f"version {version} already exists in {self.models_dir}")
        self.models_dir.mkdir(parents=True, exist_ok=True)
        if move and bundle_dir.parent.resolve() == self.models_dir.resolve():
            os.replace(bundle_dir, target)
        else:
            tmp = self.models_dir / f".{version}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(bundle_dir, tmp)
            os.replace(tmp, target)
            if move:
                shutil.rmtree(bundle_dir, ignore_errors=True)
        self._trust(version, sha)
        return version

    def promote(self, version: str) -> None:
        """Make `version` the champion (it must load and verify). A version the trusted index
        knows must match it; one it does not know (copied in by hand) is trusted from now on
        if its manifest's hash matches: promoting is the admin saying so."""
        path = self.path_of(version)
        known = self._trusted().get(version)
        load_bundle(path, trusted_sha256=known)
        if known is None:
            self._trust(version, sha256_file(path / MODEL_FILE))
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
        self._write_json(CHAMPION_FILE, state)

    def _write_json(self, name: str, data: dict) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        path = self.models_dir / name
        tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
