"""The retraining loop: train a challenger on the assembled labels, judge it against the champion
on the same held-out rows, promote it by the profile's rules, write its manifest record and card."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.data import read_rows
from classifier.relevance_data import RelevanceRow
from config.profile import get_profile
from config.settings import Settings, load_settings
from store.db import get_engine, session_factory
from store.locks import exclusive_run
from training.dataset import (
    HOLDOUT_FRACTION,
    RESOLUTION_RULE,
    ResolvedLabel,
    TrainingSets,
    assemble_sets,
    default_negatives,
    default_relevance_data,
    describe_sets,
    summarise_sets,
)
from training.exceptions import RetrainBusy
from training.promotion import Rules, decide

__all__ = ["RetrainResult", "retrain", "retrain_step"]

logger = logging.getLogger(__name__)

TRAINING_KEYS = "training_keys.txt"  # content-hash prefixes of the texts a model was trained on
KEY_CHARS = 16
DEFAULT_TARGETS = ("agency", "topic")
DEFAULT_MIN_CLASS_SIZE = 30


@dataclass
class RetrainResult:
    """What one retrain did: the challenger, the decision and the figures behind it."""

    version: str
    path: Path
    promoted: bool
    reasons: list[str]
    champion_version: str | None
    challenger_figures: dict
    champion_figures: dict | None
    evaluation_set: dict
    training_set: dict
    card: Path
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "path": str(self.path),
            "promoted": self.promoted,
            "reasons": self.reasons,
            "notes": self.notes,
            "champion_version": self.champion_version,
            "challenger": self.challenger_figures,
            "champion": self.champion_figures,
            "evaluation_set": self.evaluation_set,
            "training_set": self.training_set,
            "card": str(self.card),
        }


def _champion_overlap(champion_dir: Path | None, holdout: Sequence[ResolvedLabel]) -> str | None:
    """A note when the champion was trained on held-out rows (its figures are then optimistic)."""
    if champion_dir is None:
        return None
    keys_file = champion_dir / TRAINING_KEYS
    if not keys_file.is_file():
        return (
            "the champion's training rows are not recorded (not trained by `aduan run retrain`); "
            "if it saw the held-out rows its figures are optimistic"
        )
    seen = set(keys_file.read_text(encoding="utf-8").split())
    n = sum(r.key[:KEY_CHARS] in seen for r in holdout)
    if not n:
        return None
    return (
        f"the champion was trained on {n} of the {len(holdout)} held-out texts; "
        "its figures are optimistic"
    )


def _judge(challenger, champion, holdout: Sequence[ResolvedLabel], targets, rules):
    """Both models on the same held-out rows; returns (challenger, champion scores, decision)."""
    from classifier.evaluate import score_bundle, shared_classes

    texts = [r.text for r in holdout]
    heads = list(dict.fromkeys([*targets, *(champion.targets if champion else [])]))
    gold = {t: [r.labels.get(t) if r.is_complaint else None for r in holdout] for t in heads}
    is_complaint = [r.is_complaint for r in holdout]
    known = shared_classes(challenger, champion)
    new = score_bundle(challenger, texts, gold, is_complaint, known)
    old = score_bundle(champion, texts, gold, is_complaint, known) if champion else None
    version = champion.version if champion else None
    return new, old, decide(old, new, rules, version)


def retrain(*, factory=None, settings: Settings | None = None, **options) -> RetrainResult:
    """Train a challenger, judge it against the champion on the same held-out rows, promote it
    if the profile's rules hold (see ``_retrain`` for the options). ``settings`` gives the store,
    the registry and the profile (None: read from the environment now).

    One retrain at a time per store: a second one started meanwhile (another worker, or
    ``aduan run retrain`` during the weekly flow) raises RetrainBusy and trains nothing.
    """
    settings = settings or load_settings()
    factory = factory or session_factory(get_engine(settings.sqlalchemy_url))
    with exclusive_run(factory=factory, name="retrain") as held:
        if not held:
            raise RetrainBusy("another retrain is running on this store; try again when it ends")
        return _retrain(factory=factory, settings=settings, **options)


def _retrain(
    *,
    factory,
    settings: Settings,
    data_files: Sequence[Path] = (),
    targets: Sequence[str] | None = None,
    text_column: str = "text",
    holdout_fraction: float = HOLDOUT_FRACTION,
    seed: int = 0,
    min_class_size: int | None = None,
    negatives: Sequence[Path] | None = None,
    models_dir: Path | None = None,
    max_macro_f1_drop: float | None = None,
    allow_accuracy_drop: float | None = None,
    promote: bool = True,
    params: Mapping | None = None,
    progress: Callable[[str], None] | None = None,
    announce: Callable[[str], None] | None = None,
) -> RetrainResult:
    """The retrain itself. Defaults come from the settings and the profile; targets and
    min_class_size default to the champion's (agency,topic and 30 when there is none)."""
    from classifier.bundle import load_bundle
    from classifier.card import write_card
    from classifier.registry import Registry
    from classifier.train import train_bundle

    step = progress or (lambda _s: None)
    profile_dir = Path(settings.profile)
    rules = _rules(max_macro_f1_drop, allow_accuracy_drop, profile_dir)
    registry = Registry(Path(models_dir or settings.models_dir))
    # The champion is loaded (and its sha256 checked) before the long training, not after.
    champion_version = registry.champion_version()
    champion = registry.load(champion_version) if champion_version else None
    targets = [t for t in (targets or _champion_default(champion, "targets", DEFAULT_TARGETS)) if t]
    if min_class_size is None:
        min_class_size = int(_champion_default(champion, "min_class_size", DEFAULT_MIN_CLASS_SIZE))
    sets = assemble_sets(factory, data_files, targets, text_column, holdout_fraction)
    kept_heads = _fill_heads_without_labels(sets, targets, min_class_size, champion, profile_dir)
    step("training set")
    negative_files = list(negatives) if negatives is not None else default_negatives(profile_dir)
    relevance_files = default_relevance_data(profile_dir) if negatives is None else []
    labelled, relevance_rows = _relevance_rows(sets, targets)
    if announce is not None:
        announce(describe_sets(sets, targets, negative_files, champion_version))
    work = Path(tempfile.mkdtemp(prefix="aduan-retrain-"))
    try:
        bundle_dir = train_bundle(
            rows=labelled,
            targets=targets,
            min_class_size=min_class_size,
            negatives=negative_files,
            relevance_data=relevance_files,
            relevance_rows=relevance_rows,
            out_dir=work / "bundle",
            seed=seed,
            params=params,
            validation_fraction=0,
            progress=step,
        )
        new, old, decision = _judge(load_bundle(bundle_dir), champion, sets.holdout, targets, rules)
        step("evaluation")
        overlap = _champion_overlap(champion.path if champion else None, sets.holdout)
        notes = [overlap] if overlap else []
        notes += kept_heads
        record = _document(bundle_dir, sets, holdout_fraction, data_files, rules, new, old)
        record["champion_version"] = champion_version
        record["decision"] = {
            "promote": decision.promote,
            "reasons": decision.reasons,
            "notes": notes,
        }
        manifest = _write_manifest(bundle_dir, record)
        write_card(
            bundle_dir,
            manifest,
            new,
            champion=old,
            champion_version=champion_version,
            decision=decision,
            notes=notes,
        )
        version = registry.add(bundle_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    promoted = bool(decision.promote and promote)
    if promoted:
        registry.promote(version)
    step("registry")
    logger.info("retrained %s: promoted=%s", version, promoted)
    return RetrainResult(
        version=version,
        path=registry.path_of(version),
        promoted=promoted,
        reasons=decision.reasons if promote else [*decision.reasons, "--no-promote given"],
        champion_version=champion_version,
        challenger_figures=record["challenger"],
        champion_figures=record["champion"],
        evaluation_set=record["evaluation_set"],
        training_set=record["training_set"],
        card=registry.path_of(version) / "MODEL_CARD.md",
        notes=notes,
    )


def _learnable(rows: Sequence[Mapping], target: str, min_class_size: int) -> bool:
    counts = Counter(r.get(target) for r in rows if r.get(target))
    return sum(1 for c in counts.values() if c >= min_class_size) >= 2


def _seed_rows(targets: Sequence[str], profile_dir: Path) -> list[dict]:
    """The profile's seed complaints (seed/complaints.csv), when it has them."""
    path = profile_dir / "seed" / "complaints.csv"
    if not path.is_file():
        return []
    rows, _ = read_rows(path)
    return [
        {"text": r["text"], "created_at": "", **{t: r.get(t, "") for t in targets}} for r in rows
    ]


def _fill_heads_without_labels(
    sets: TrainingSets, targets, min_class_size, champion, profile_dir: Path
) -> list[str]:
    """A head the new labels cannot train (an import without a topic column) keeps what it had:
    the seed rows' labels for that head only, else the champion's own predictions on the
    training texts. Returns one note per head so kept."""
    notes = []
    rows = sets.train_rows
    for target in targets:
        if _learnable(rows, target, min_class_size):
            continue
        seeds = [
            {**{t: "" for t in targets}, "text": r["text"], "created_at": "", target: r[target]}
            for r in _seed_rows(targets, profile_dir)
            if r.get(target)
        ]
        if _learnable(seeds, target, min_class_size):
            rows.extend(seeds)
            notes.append(
                f"{target}: the new labels have too few {target} labels; this head is trained "
                f"on the profile's {len(seeds)} seed rows, as before"
            )
        elif champion is not None and target in champion.targets:
            texts = [r["text"] for r in rows]
            for r, p in zip(rows, champion.predict(texts), strict=True):
                r[target] = r.get(target) or p.heads[target].label
            notes.append(
                f"{target}: the new labels have too few {target} labels; this head learns the "
                f"champion {champion.version}'s own {target} predictions"
            )
    return notes


def _relevance_rows(sets: TrainingSets, targets) -> tuple[list[dict], list]:
    """(complaint rows with a label for a target, relevance rows): stored non-complaints and
    complaints without any target label train the relevance head as relevance data (posts
    labelled complaint or not), exactly as ``aduan train --relevance-data`` rows do."""
    labelled = [r for r in sets.train_rows if any(r.get(t) for t in targets)]
    rows = [RelevanceRow(t, False) for t in sets.review_negatives]
    rows += [
        RelevanceRow(r["text"], True, r["created_at"])
        for r in sets.train_rows
        if not any(r.get(t) for t in targets)
    ]
    return labelled, rows


def _document(bundle_dir: Path, sets: TrainingSets, fraction, data_files, rules, new, old) -> dict:
    """The manifest's ``retrain`` record; also writes training_keys.txt beside the bundle."""
    evaluation_set, training_set = summarise_sets(sets, fraction, data_files)
    (Path(bundle_dir) / TRAINING_KEYS).write_text(
        "\n".join(sorted(r.key[:KEY_CHARS] for r in sets.train)) + "\n", encoding="utf-8"
    )
    return {
        "resolution_rule": RESOLUTION_RULE,
        "evaluation_set": evaluation_set,
        "training_set": training_set,
        "rules": {
            "max_macro_f1_drop": rules.max_macro_f1_drop,
            "allow_accuracy_drop": rules.allow_accuracy_drop,
        },
        "challenger": {t: s.figures() for t, s in new.items()},
        "champion": {t: s.figures() for t, s in old.items()} if old else None,
    }


def _write_manifest(bundle_dir: Path, record: dict) -> dict:
    """Add the retrain record to manifest.json; returns the whole manifest.

    manifest.json is not covered by the bundle's sha256 (model.joblib is), so adding the record
    after training leaves the bundle loadable.
    """
    from classifier.bundle import MANIFEST, read_manifest

    manifest = {**read_manifest(bundle_dir), "retrain": record}
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    (Path(bundle_dir) / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def _champion_default(champion, key: str, default):
    return (champion.manifest.get(key) or default) if champion is not None else default


def _rules(max_f1_drop: float | None, acc_drop: float | None, profile_dir: Path) -> Rules:
    if max_f1_drop is None or acc_drop is None:
        promotion = get_profile(profile_dir).promotion
        max_f1_drop = promotion.max_macro_f1_drop if max_f1_drop is None else max_f1_drop
        acc_drop = promotion.allow_accuracy_drop if acc_drop is None else acc_drop
    return Rules(max_macro_f1_drop=max_f1_drop, allow_accuracy_drop=acc_drop)


def retrain_step(**options: Any) -> dict[str, Any]:
    """``retrain`` (``options`` passed on; else the settings' and profile's defaults) as a flow
    run's result (the retrain flow, which ``aduan run retrain`` runs): the RetrainResult as a dict
    plus ``training_on``, what it trained on, said (logged) before the training started. A retrain
    already running makes it a skipped no-op."""
    said: list[str] = []

    def announce(line: str) -> None:
        said.append(line)
        logger.info("%s", line)

    try:
        result = retrain(announce=announce, **options).as_dict()
    except RetrainBusy as exc:  # the other run does the work: this one is a no-op, not a failure
        logger.warning("retrain skipped: %s", exc)
        return {"version": None, "promoted": False, "reasons": [str(exc)], "skipped": True}
    logger.info("retrain: challenger %s, promoted: %s", result["version"], result["promoted"])
    return {**result, "training_on": "\n".join(said)}
