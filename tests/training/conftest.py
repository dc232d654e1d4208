"""A registry with a first champion, retrained once from the Kupang seed and shared by a module."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from store.db import make_engine
from store.db import session_factory as make_session_factory
from store.migrate import upgrade
from training.label_import import import_file
from training.retrain import RetrainResult, retrain

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


def approve_posts(factory, texts_and_times) -> None:
    """Store each (text, created_at) as a post whose case (tagged dishub) a facilitator accepts
    with agency pln: review-origin labels for the next retrain."""
    from cases.states import approve_case
    from store.cases import create_case
    from store.repository import upsert_posts
    from store.tables import PostRow
    from tests.factories import make_post

    with factory() as session, session.begin():
        posts = [
            make_post(i, text=text, created_at=when)
            for i, (text, when) in enumerate(texts_and_times)
        ]
        upsert_posts(session=session, posts=posts)
        for post in session.query(PostRow).order_by(PostRow.id):
            case = create_case(
                session=session,
                post=post,
                agency="dishub",
                topic="penerangan_jalan_umum",
                agency_confidence=0.8,
                topic_confidence=0.9,
            )
            approve_case(session=session, case_id=case.id, actor="ina", agency="pln")
