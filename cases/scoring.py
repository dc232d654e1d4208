"""Scoring stored posts: classify the posts still ``new`` with the champion model and store the
relevance, agency and topic with their confidences (counts back, never post text)."""

from __future__ import annotations

import logging
import math
import shlex
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from classifier.exceptions import NoChampion
from classifier.registry import Registry
from config.settings import REPO_ROOT, Settings, load_settings
from store.db import get_engine, session_factory
from store.pipeline import save_classifications, texts_of, unclassified_id_batches

log = logging.getLogger(__name__)

CLASSIFY_BATCH = 2000  # posts per classification task (and transaction)

# Classifies the batches (lists of post ids) with the model version; returns how many it stored.
BatchRunner = Callable[[list[list[int]], str], int]


@lru_cache(maxsize=2)
def load_model(models_dir: str, version: str | None = None) -> Any:
    """A model bundle from the registry (None = the champion), loaded once per process."""
    return Registry(Path(models_dir)).load(version)


def champion_version(models_dir: Path | None = None, *, settings: Settings | None = None) -> str:
    """The champion's version (NoChampion if there is none) so workers load the same model;
    ``models_dir`` default: ``settings.models_dir`` (no settings: read from the environment now)."""
    settings = settings or load_settings()
    folder = Path(models_dir or settings.models_dir)
    version = Registry(folder).champion_version()
    if version is None:
        seed = Path(settings.profile) / "seed"
        whose = "the profile's" if (seed / "complaints.csv").is_file() else "Kupang's"
        raise NoChampion(
            f"no champion model in {folder}; train one from {whose} seed corpus with: "
            f"{seed_train_command(folder, Path(settings.profile))}"
        )
    return version


def seed_train_command(models_dir: Path, profile_dir: Path) -> str:
    """A shell command that trains a champion from the profile's seed corpus (Kupang's when the
    profile has none) into ``models_dir``, as ``aduan demo`` does; it works in any shell."""
    from classifier.train import SEED_MIN_CLASS_SIZE

    seed = profile_dir.resolve() / "seed"
    if not (seed / "complaints.csv").is_file():
        seed = REPO_ROOT / "profiles" / "kupang" / "seed"
    args = [
        f"ADUAN_MODELS_DIR={shlex.quote(str(models_dir.resolve()))}",
        "aduan train",
        f"--data {shlex.quote(str(seed / 'complaints.csv'))}",
        f"--negatives {shlex.quote(str(seed / 'non_complaints.csv'))}",
        f"--targets agency,topic --min-class-size {SEED_MIN_CLASS_SIZE} --promote",
    ]
    return " ".join(args)


def classification_row(post_id: int, prediction: Any) -> dict[str, Any]:
    """The store's classification columns from a ``classifier.bundle.Prediction``."""
    agency = prediction.heads.get("agency")
    topic = prediction.heads.get("topic")
    relevance = prediction.relevance
    # A model without a relevance head sends every post on (the review queue decides).
    relevance = 1.0 if relevance is None or math.isnan(relevance) else float(relevance)
    return {
        "post_id": post_id,
        "relevance": relevance,
        "agency": agency.label if agency else None,
        "agency_confidence": agency.confidence if agency else None,
        "topic": topic.label if topic else None,
        "topic_confidence": topic.confidence if topic else None,
        "alternatives": {
            name: [[label, round(p, 4)] for label, p in head.alternatives]
            for name, head in prediction.heads.items()
        },
    }


def classify_batch(
    post_ids: Sequence[int],
    *,
    factory: sessionmaker[Session] | None = None,
    models_dir: Path | None = None,
    version: str | None = None,
    settings: Settings | None = None,
) -> int:
    """Classify the given posts (those still ``new``) and store the results; returns how many.
    ``settings`` (None: read from the environment now) gives the database and the registry."""
    settings = settings or load_settings()
    factory = factory or session_factory(get_engine(settings.sqlalchemy_url))
    bundle = load_model(str(models_dir or settings.models_dir), version)
    # One transaction: the posts stay claimed (PostgreSQL row locks) while the model runs.
    with factory() as session, session.begin():
        rows = texts_of(session=session, post_ids=post_ids, claim=True)
        if not rows:
            return 0
        predictions = bundle.predict([text for _, text in rows])
        values = [classification_row(pid, p) for (pid, _), p in zip(rows, predictions, strict=True)]
        return save_classifications(session=session, model_version=bundle.version, rows=values)


def classify_pending(
    *,
    factory: sessionmaker[Session] | None = None,
    models_dir: Path | None = None,
    batch: int = CLASSIFY_BATCH,
    limit: int | None = None,
    run_batches: BatchRunner | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Classify every post still ``new`` with the champion, ``batch`` posts at a time.

    ``run_batches`` classifies the batches (default: one after the other in this process with
    classify_batch; the classify flow passes its tasks, which may run on Dask). ``settings``
    (None: read from the environment now) gives the database and the registry.
    """
    settings = settings or load_settings()
    factory = factory or session_factory(get_engine(settings.sqlalchemy_url))
    version = champion_version(models_dir, settings=settings)
    batches = list(unclassified_id_batches(factory=factory, batch=batch, limit=limit))
    run = run_batches or partial(
        _in_process, factory=factory, models_dir=models_dir, settings=settings
    )
    classified = run(batches, version) if batches else 0
    log.info("classified %d posts in %d batches with model %s", classified, len(batches), version)
    return {"classified": classified, "batches": len(batches), "model_version": version}


def _in_process(
    batches: list[list[int]],
    version: str,
    *,
    factory: sessionmaker[Session],
    models_dir: Path | None,
    settings: Settings,
) -> int:
    return sum(
        classify_batch(
            ids, factory=factory, models_dir=models_dir, version=version, settings=settings
        )
        for ids in batches
    )
