"""A registry with a first champion, retrained once from the Kupang seed and shared by a module."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from flows.label_import import import_file
from flows.retrain import RetrainResult, retrain
from store.db import make_engine
from store.db import session_factory as make_session_factory
from store.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "profiles" / "kupang" / "seed"
MAPPING = {"text": "text", "agency": "agency", "topic": "topic", "created_at": "created_at"}
# Small enough to keep each training to a few seconds; the seed has 39..120 rows per class.
RETRAIN_ARGS = dict(
    targets=("agency", "topic"),
    min_class_size=20,
    negatives=[SEED / "non_complaints.csv"],
    max_macro_f1_drop=0.01,
    allow_accuracy_drop=0.0,
)


@dataclass
class Loop:
    """A store holding imported labels, and a registry whose champion was trained on them."""

    factory: object
    models_dir: Path
    first: RetrainResult


def new_store(folder: Path):
    """A migrated SQLite store in ``folder`` and its session factory."""
    engine = make_engine(f"sqlite:///{folder / 'aduan.sqlite3'}")
    upgrade(engine)
    return make_session_factory(engine)


def import_seed(factory, path: Path = SEED / "complaints.csv") -> None:
    import_file(path, fmt="csv", mapping=MAPPING, factory=factory)


def copy_registry(loop: Loop, to: Path) -> Path:
    """A private copy of the loop's registry, so a test may change it."""
    shutil.copytree(loop.models_dir, to)
    return to


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Loop:
    folder = tmp_path_factory.mktemp("loop")
    factory = new_store(folder)
    import_seed(factory)
    models = folder / "models"
    first = retrain(factory=factory, models_dir=models, seed=0, **RETRAIN_ARGS)
    return Loop(factory=factory, models_dir=models, first=first)
