"""Errors raised by the classifier package.

Every error here is a user error: the CLI prints ``error: <message>`` and exits 2
(``user_error = True`` on the root class, because this package may not import ``store``).

    ClassifierError
    ├── DataError                 a training/evaluation file cannot be used
    │   ├── MissingColumn         a column is absent; names the column and lists those found
    │   ├── BadEncoding           a file is not valid UTF-8
    │   └── TooFewClasses         a label column has fewer than two usable classes
    ├── BundleError               a model bundle folder cannot be used
    │   ├── BundleMissingFile     model.joblib or manifest.json is absent
    │   ├── BundleTampered        model.joblib does not match the sha256 in the manifest or
    │   │                         the registry's trusted index
    │   ├── BundleUntrusted       a registry version the trusted index does not know
    │   └── TargetMismatch        the model was trained on other targets than asked
    └── RegistryError             the model registry cannot do what was asked
        ├── NoChampion            no champion has been promoted yet
        ├── UnknownVersion        no version of that name in the registry
        └── NothingToRollBack     the champion history has no previous champion
"""

from __future__ import annotations

__all__ = [
    "BadEncoding",
    "BundleError",
    "BundleMissingFile",
    "BundleTampered",
    "BundleUntrusted",
    "ClassifierError",
    "DataError",
    "MissingColumn",
    "NoChampion",
    "NothingToRollBack",
    "RegistryError",
    "TargetMismatch",
    "TooFewClasses",
    "UnknownVersion",
]


class ClassifierError(Exception):
    """Root of the classifier's errors; all are user errors (exit 2 in the CLI)."""

    user_error = True


class DataError(ClassifierError):
    """A training or evaluation file cannot be used as given."""


class MissingColumn(DataError):
    """A required column is absent from a file."""

    def __init__(self, column: str, found: list[str], path: str = "") -> None:
        self.column, self.found, self.path = column, list(found), path
        where = f" in {path}" if path else ""
        super().__init__(
            f"column {column!r} not found{where}; "
            f"columns found: {', '.join(self.found) or '(none)'}"
        )


class BadEncoding(DataError):
    """A file is not valid UTF-8."""


class TooFewClasses(DataError):
    """A label column has fewer than two classes after applying the minimum class size."""


class BundleError(ClassifierError):
    """A model bundle folder cannot be used."""


class BundleMissingFile(BundleError):
    """A file of the bundle (model.joblib, manifest.json) is missing."""


class BundleTampered(BundleError):
    """model.joblib does not have the sha256 recorded in manifest.json."""


class TargetMismatch(BundleError):
    """The bundle was trained on other targets than those asked for."""


class RegistryError(ClassifierError):
    """The model registry cannot do what was asked."""


class NoChampion(RegistryError):
    """No version has been promoted to champion."""


class UnknownVersion(RegistryError):
    """No version of that name exists in the registry."""


class NothingToRollBack(RegistryError):
    """There is no previous champion to go back to."""


class BundleUntrusted(BundleError):
    """A registry version whose hash is not in the registry's trusted index (trusted.json)."""
