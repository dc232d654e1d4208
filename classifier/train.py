"""Training a bundle: read and clean labelled rows, add negatives, fit, validate, save."""

from __future__ import annotations

import logging
import platform
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from classifier.bundle import save_bundle
from classifier.card import write_card
from classifier.data import file_info, read_negatives, read_rows, require_columns
from classifier.exceptions import DataError, TooFewClasses
from classifier.model import RELEVANCE, ComplaintModel
from classifier.relevance_data import RelevanceRow, read_relevance_files
from classifier.routing import LOCATION_COLUMNS, LocalOffices, location_of_row, route_metrics

__all__ = ["DEFAULT_PARAMS", "clean_labels", "train_bundle"]

logger = logging.getLogger(__name__)

# Chosen on a validation split of the training months only; see bench/README.md.
DEFAULT_PARAMS: dict = {
    "word_ngrams": (1, 2),
    "char_ngrams": (2, 4),
    "C": 0.5,
    "relevance_C": 0.5,
    "calibration": "sigmoid",
    "hierarchy_weight": 0.0,
    # relevance: the shared char n-grams + unstemmed words with stopwords (how a post addresses
    # an office) + the post's shape (classifier.relevance_features), one SVC on all rows (a
    # 3-fold ensemble loses a third of the few labelled posts), other sources' complaint letters
    # weighing 1/4 of the labelled posts in all
    "relevance_features": "chars+words+cues",
    "complaint_share": 0.25,
    # per-head overrides for the usual Aduan targets; other label columns use the values above
    "head_params": {
        "agency": {"class_weight": "balanced", "model": "nbsvm", "C": 0.3, "tol": 0.01},
        "relevance": {"ensemble": False},
        "topic": {
            "calibration": "isotonic",
            "model": "nbsvm",
            "C": 0.1,
            "tol": 0.01,
            "prior_power": 0.25,
        },
    },
}
NEGATIVE_SUFFIXES = (".csv", ".tsv", ".jsonl")
# A row key (value True, never a CSV string) marking a labelled complaint that is a post of the
# kind the model scores (a facilitator's decision on a harvested post), not another source's
# letter: complaint_share does not weigh it down.
IN_DOMAIN = "in_domain_"
# A profile's seed corpus is small: the smallest class its default model keeps.
SEED_MIN_CLASS_SIZE = 20


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def clean_labels(
    rows: Sequence[Mapping[str, str]], targets: Sequence[str], text_column: str
) -> tuple[list[dict], dict]:
    """One row per distinct text (case/space-insensitive); conflicting labels -> majority vote,
    ties broken by the most recent row (by created_at when present, else file order).
    Empty texts are dropped; empty labels become None. Returns (rows, report)."""
    groups: dict[str, list[tuple[int, Mapping[str, str]]]] = defaultdict(list)
    for i, r in enumerate(rows):
        text = str(r.get(text_column) or "")
        if text.strip():
            groups[_key(text)].append((i, r))
    out, conflicts = [], 0
    for members in groups.values():
        members.sort(key=lambda m: (str(m[1].get("created_at") or ""), m[0]))
        latest = members[-1][1]
        cleaned = {text_column: latest[text_column], "created_at": latest.get("created_at", "")}
        if any(m[1].get(IN_DOMAIN) is True for m in members):
            cleaned[IN_DOMAIN] = True
        for column in LOCATION_COLUMNS:
            if column in latest:
                cleaned[column] = latest[column]
        for t in targets:
            labels = [str(m[1].get(t) or "").strip() for m in members]
            labels = [lab for lab in labels if lab]
            if len(set(labels)) > 1:
                conflicts += 1
            counts = Counter(labels)
            best = max(counts.values(), default=0)
            winners = {lab for lab, c in counts.items() if c == best}
            cleaned[t] = next((lab for lab in reversed(labels) if lab in winners), None)
        out.append(cleaned)
    report = {
        "rows_in": len(rows),
        "rows_out": len(out),
        "empty_text": len(rows) - sum(len(m) for m in groups.values()),
        "duplicate_rows_merged": sum(len(m) - 1 for m in groups.values()),
        "conflicting_labels_resolved": conflicts,
    }
    return out, report


def _apply_min_class_size(
    rows: list[dict], targets: Sequence[str], min_class_size: int
) -> dict[str, list[str | None]]:
    labels: dict[str, list[str | None]] = {}
    for t in targets:
        counts = Counter(r[t] for r in rows if r[t])
        kept = {lab for lab, c in counts.items() if c >= min_class_size}
        if len(kept) < 2:
            raise TooFewClasses(
                f"target {t!r} has {len(kept)} class(es) with at least {min_class_size} rows "
                f"({len(counts)} classes in all); need 2 or more: add data or lower "
                "--min-class-size"
            )
        labels[t] = [r[t] if r[t] in kept else None for r in rows]
    return labels


def _negative_texts(negatives: Sequence[Path | str]) -> tuple[list[str], list[dict]]:
    texts, infos = [], []
    for item in negatives:
        if isinstance(item, Path) or str(item).endswith(NEGATIVE_SUFFIXES):
            found = read_negatives(Path(item))
            texts.extend(found)
            infos.append(file_info(Path(item), len(found)).as_dict())
        else:
            texts.append(str(item))
    return texts, infos


def _library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("scikit-learn", "numpy", "scipy", "joblib", "PySastrawi"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


def _fit(
    rows, labels, negatives, params, seed, progress, positives=(), domain_negatives=()
) -> ComplaintModel:
    """Label heads on `rows`; relevance: rows and `positives` (relevance data: texts with no
    label) against `negatives` and `domain_negatives` (relevance data labelled not a
    complaint). The relevance data and the rows marked ``IN_DOMAIN`` (posts a facilitator
    labelled) are the model's in-domain rows (ComplaintModel.fit)."""
    positives, domain_negatives = list(positives), list(domain_negatives)
    negatives = list(negatives) + domain_negatives
    texts = [r["text_"] for r in rows] + positives + negatives
    extra = len(positives) + len(negatives)
    head_labels = {t: list(col) + [None] * extra for t, col in labels.items()}
    relevant = None
    if negatives:
        relevant = [True] * (len(rows) + len(positives)) + [False] * len(negatives)
    n_other = len(negatives) - len(domain_negatives)
    in_domain = [r.get(IN_DOMAIN) is True for r in rows] + [True] * len(positives)
    in_domain += [False] * n_other
    in_domain += [True] * len(domain_negatives)
    model = ComplaintModel(**{**params, "random_state": seed})
    return model.fit(texts, head_labels, relevant, progress=progress, in_domain=in_domain)


def relevance_examples(relevance: Sequence[RelevanceRow], exclude: set[str]) -> list[RelevanceRow]:
    """One row per distinct text (case/space-insensitive) of the relevance data, texts in
    `exclude` (the complaint rows) left out; conflicting labels -> majority, ties -> complaint
    (an archived complaint is a lost one)."""
    votes: dict[str, list[RelevanceRow]] = defaultdict(list)
    for r in relevance:
        if _key(r.text) not in exclude:
            votes[_key(r.text)].append(r)
    out = []
    for members in votes.values():
        yes = sum(m.is_complaint for m in members)
        flag = yes * 2 >= len(members)
        latest = max(members, key=lambda m: m.created_at)
        out.append(RelevanceRow(latest.text, flag, latest.created_at))
    return out


def _fold_local_offices(rows: list[dict], rule: LocalOffices | None, target: str) -> dict:
    """Fold `target` labels naming a local office into their level's class (the label as given
    is kept in ``office_``, for the routed validation figures); returns rows folded per level."""
    folded: Counter = Counter()
    for r in rows:
        r["office_"] = r.get(target)
        if rule is not None and r.get(target):
            parsed = rule.parse(r[target])
            if parsed:
                folded[parsed[0]] += 1
                r[target] = parsed[0]
    return dict(folded)


def _validate(
    rows, labels, negatives, params, seed, fraction, targets, progress, local=None, extra=()
) -> dict:
    """Fit on the earliest (1 - fraction) of rows, score on the latest `fraction`; with a
    local-office rule `local` = (rule, target), that head is also scored routed. The relevance
    data (`extra`) is split the same way and scored when it has both kinds in both parts."""
    from classifier.evaluate import head_metrics

    order = sorted(range(len(rows)), key=lambda i: (rows[i]["created_at"] or "", i))
    cut = int(round(len(order) * (1 - fraction)))
    train_idx, hold_idx = order[:cut], order[cut:]
    if not hold_idx or not train_idx:
        return {}
    sub_labels = {t: [labels[t][i] for i in train_idx] for t in targets}
    for t in targets:
        if len({lab for lab in sub_labels[t] if lab}) < 2:
            return {}
    extra_order = sorted(range(len(extra)), key=lambda i: (extra[i].created_at, i))
    extra_cut = int(round(len(extra) * (1 - fraction)))
    extra_train = [extra[i] for i in extra_order[:extra_cut]]
    extra_hold = [extra[i] for i in extra_order[extra_cut:]]
    model = _fit(
        [rows[i] for i in train_idx],
        sub_labels,
        negatives,
        params,
        seed,
        progress,
        [r.text for r in extra_train if r.is_complaint],
        [r.text for r in extra_train if not r.is_complaint],
    )
    proba = model.predict_proba([rows[i]["text_"] for i in hold_idx])
    metrics: dict = {
        "rows": len(hold_idx),
        "from": rows[hold_idx[0]]["created_at"] or None,
        "fraction": fraction,
    }
    for t, (predicted, confidence) in model.best(proba).items():
        gold = [str(rows[i][t] or "") for i in hold_idx]
        metrics[t] = head_metrics(gold, predicted, list(confidence), set(model.classes_[t]))
        if local is not None and t == local[1]:
            held = [rows[i] for i in hold_idx]
            offices = [str(r["office_"] or "") for r in held]
            locations = [location_of_row(r) for r in held]
            metrics[f"{t}_routed"] = route_metrics(
                local[0], offices, predicted, list(confidence), locations, model.classes_[t]
            )
    if RELEVANCE in proba:
        metrics["relevance_recall_at_0.5"] = float((proba[RELEVANCE] >= 0.5).mean())
    if model.relevance_ is not None and len({r.is_complaint for r in extra_hold}) == 2:
        from classifier.evaluate import relevance_metrics

        scores = model.predict_proba([r.text for r in extra_hold])[RELEVANCE]
        metrics[RELEVANCE] = relevance_metrics([r.is_complaint for r in extra_hold], scores)
    return metrics


def train_bundle(
    *,
    rows: Sequence[Mapping[str, str]] | None = None,
    data_files: Sequence[Path] | None = None,
    targets: Sequence[str],
    text_column: str = "text",
    min_class_size: int = 30,
    negatives: Sequence[Path | str] = (),
    out_dir: Path,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    params: Mapping | None = None,
    validation_fraction: float = 0.1,
    relevance_data: Sequence[Path] = (),
    relevance_rows: Sequence[RelevanceRow] = (),
    local_offices: LocalOffices | None = None,
    local_target: str = "agency",
) -> Path:
    """Train a bundle into `out_dir` and return it.

    rows / data_files: labelled complaints (both may be given). negatives: non-complaint files
    (Path, or a str ending in .csv/.tsv/.jsonl) or literal texts (other str). relevance_data:
    CSVs of texts labelled complaint or not (classifier.relevance_data), and relevance_rows the
    same already read: they train the relevance head only (a complaint there has no agency or
    topic), beside the complaint rows and the negatives. Validation: a model
    fit on the earliest rows is scored on the latest `validation_fraction` (by created_at) and the
    figures go in the manifest; the saved model is then fit on all rows. 0 skips validation.
    local_offices: the rule folding `local_target` labels that name a kelurahan/kecamatan office
    into one class per level (``classifier.routing``); it is recorded in the manifest.
    """
    targets = [t.strip() for t in targets if t.strip()]
    if not targets:
        raise DataError("no targets given (e.g. --targets agency,topic)")
    step = progress or (lambda _s: None)
    relevance, relevance_counts = read_relevance_files(list(relevance_data), text_column)
    relevance = [*relevance_rows, *relevance]
    all_rows: list[Mapping[str, str]] = list(rows or [])
    if rows:
        require_columns(list(rows[0]), [text_column, *targets], "rows")
    sources = []
    for path in data_files or []:
        file_rows, columns = read_rows(Path(path))
        require_columns(columns, [text_column, *targets], path)
        all_rows.extend(file_rows)
        sources.append(file_info(Path(path), len(file_rows)).as_dict())
    if not all_rows:
        raise DataError("no labelled rows to train on")
    cleaned, cleaning = clean_labels(all_rows, targets, text_column)
    for r in cleaned:
        r["text_"] = r[text_column]
    use_rule = local_offices if local_target in targets else None
    folded = _fold_local_offices(cleaned, use_rule, local_target)
    labels = _apply_min_class_size(cleaned, targets, min_class_size)
    neg_texts, neg_infos = _negative_texts(negatives)
    complaint_keys = {_key(r["text_"]) for r in cleaned}
    extra = relevance_examples(relevance, complaint_keys)
    labelled = complaint_keys | {_key(r.text) for r in extra}
    neg_texts = [t for t in dict.fromkeys(neg_texts) if t.strip() and _key(t) not in labelled]
    step("data")
    params = {**DEFAULT_PARAMS, **(params or {})}
    validation = {}
    if validation_fraction > 0:
        validation = _validate(
            cleaned,
            labels,
            neg_texts,
            params,
            seed,
            validation_fraction,
            targets,
            None,
            (use_rule, local_target) if use_rule else None,
            extra,
        )
        step("validation")
    positives = [r.text for r in extra if r.is_complaint]
    domain_negatives = [r.text for r in extra if not r.is_complaint]
    model = _fit(cleaned, labels, neg_texts, params, seed, step, positives, domain_negatives)
    created = datetime.now(UTC)
    manifest = {
        "version": f"{created:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}",
        "created_at": created.isoformat(timespec="seconds"),
        "targets": targets,
        "text_column": text_column,
        "min_class_size": min_class_size,
        "seed": seed,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
        "libraries": _library_versions(),
        "data_files": sources,
        "rows_given_directly": len(rows or []),
        "negative_files": neg_infos,
        "n_rows": len(cleaned),
        "n_negatives": len(neg_texts),
        "relevance_files": [file_info(p, n).as_dict() for p, n in relevance_counts],
        "relevance_rows_given_directly": len(relevance_rows),
        "n_relevance_complaints": len(positives),
        "n_relevance_non_complaints": len(extra) - len(positives),
        "label_cleaning": cleaning,
        "classes": {t: model.classes_[t] for t in targets},
        "class_counts": {t: dict(Counter(x for x in labels[t] if x)) for t in targets},
        "has_relevance": model.relevance_ is not None,
        "local_offices": (
            {"target": local_target, "templates": use_rule.as_dict(), "rows_folded": folded}
            if use_rule
            else None
        ),
        "validation": validation,
    }
    out = save_bundle(model, manifest, Path(out_dir))
    write_card(out, manifest)  # data, classes, validation figures; `aduan run retrain` writes more
    logger.info("trained model %s into %s", manifest["version"], out)
    return out
