"""Evaluation of a bundle on labelled rows: the figures `aduan evaluate --json` prints, and the
per-head held-out scores (``score_bundle``) that a retrain compares and the model card shows."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier.bundle import Bundle
from classifier.data import read_rows, require_columns
from classifier.exceptions import DataError
from classifier.model import RELEVANCE
from classifier.relevance_data import ALLOWED, label_column, parse_flag

__all__ = [
    "HeadScores",
    "coverage_at",
    "evaluate",
    "head_metrics",
    "relevance_metrics",
    "score_bundle",
    "shared_classes",
]

RELEVANCE_THRESHOLD = 0.5  # where score_bundle cuts the relevance head


def coverage_at(confidence: Sequence[float], correct: Sequence[bool], precision: float) -> float:
    """Largest fraction of rows, taken from the most confident down, whose accuracy >= precision.

    Ties in confidence keep the input order (stable sort). 0.0 when there are no rows.
    """
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=float)
    if len(ok) == 0:
        return 0.0
    order = np.argsort(-conf, kind="stable")
    running = np.cumsum(ok[order]) / np.arange(1, len(ok) + 1)
    good = np.nonzero(running >= precision - 1e-12)[0]
    return float((good.max() + 1) / len(ok)) if len(good) else 0.0


def head_metrics(
    gold: Sequence[str], predicted: Sequence[str], confidence: Sequence[float], known: set[str]
) -> dict:
    """The per-target figures. `accuracy`, `macro_f1` and the coverages are on the rows whose gold
    label is in `known` (the others only count in `n_unknown_label`); `accuracy_all` is correct /
    every row with a gold label (`n_labelled`), so a label the model cannot produce counts as wrong.
    """
    from sklearn.metrics import f1_score

    keep = [i for i, g in enumerate(gold) if g in known]
    labelled = sum(1 for g in gold if g)
    g = [gold[i] for i in keep]
    p = [predicted[i] for i in keep]
    c = [confidence[i] for i in keep]
    correct = [a == b for a, b in zip(g, p, strict=True)]
    return {
        "n": len(gold),
        "n_unknown_label": len(gold) - len(keep),
        "n_labelled": labelled,
        "accuracy": float(np.mean(correct)) if keep else None,
        "accuracy_all": float(sum(correct) / labelled) if labelled else None,
        "macro_f1": float(f1_score(g, p, average="macro", zero_division=0)) if keep else None,
        "coverage_at_95": coverage_at(c, correct, 0.95),
        "coverage_at_90": coverage_at(c, correct, 0.90),
    }


def relevance_metrics(
    gold: Sequence[bool], scores: Sequence[float], threshold: float = 0.5
) -> dict:
    """Precision, recall and F1 of "complaint" at P(complaint) >= threshold, ROC AUC of the
    scores (None with one class only), and n."""
    from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

    y = np.asarray(gold, dtype=bool)
    s = np.asarray(scores, dtype=float)
    predicted = s >= threshold
    p, r, f, _ = precision_recall_fscore_support(
        y, predicted, average="binary", pos_label=True, zero_division=0
    )
    auc = float(roc_auc_score(y, s)) if len(set(y.tolist())) == 2 else None
    return {
        "precision": float(p),
        "recall": float(r),
        "f1": float(f),
        "auc": auc,
        "n": int(len(y)),
        "threshold": float(threshold),
    }


def _relevance_gold(rows: Sequence[dict], column: str, where: str) -> list[bool]:
    gold = []
    for i, r in enumerate(rows):
        flag = parse_flag(r.get(column))
        if flag is None:
            raise DataError(
                f"{where} row {i + 2}: {column} value {r.get(column)!r} is not one of {ALLOWED}"
            )
        gold.append(flag)
    return gold


def evaluate(
    bundle: Bundle,
    *,
    rows: Sequence[dict] | None = None,
    data_files: Sequence[Path] | None = None,
    targets: Sequence[str] | None = None,
    text_column: str = "text",
    relevance_threshold: float = 0.5,
    gazetteer=None,
) -> dict:
    """Score `bundle` on labelled rows (or CSV files); returns {target: figures, "posts_per_s"},
    plus "relevance" (``relevance_metrics``) when every file has an ``is_complaint`` or
    ``label`` column. Without `targets`, the bundle's targets the files have (a relevance-only
    file, such as labelled tweets, has none of them).

    A bundle trained with a local-office rule (``classifier.routing``) also gets
    ``<target>_routed``: its local classes routed to the office of each row's location (the
    row's kecamatan/kelurahan columns when it has them, else `gazetteer` on the text), compared
    with the labels as given."""
    from classifier.routing import location_of_row, route_metrics, rule_of

    asked = list(targets or [])
    bundle.require_targets(asked)
    tables: list[tuple[list[dict], list[str], str]] = []
    for path in data_files or []:
        file_rows, columns = read_rows(path)
        tables.append((file_rows, columns, str(path)))
    if rows is not None:
        rows = list(rows)
        tables.append((rows, list(rows[0]) if rows else [], "rows"))
    rel_columns = [label_column(columns) for _, columns, _ in tables]
    has_relevance = bool(tables) and all(rel_columns)
    if not asked:
        asked = [t for t in bundle.targets if all(t in c for _, c, _ in tables)]
        if not asked and not has_relevance:
            asked = list(bundle.targets)  # MissingColumn below names what is absent
    needed = [text_column, *asked]
    all_rows, gold_rel = [], []
    for (table, columns, where), column in zip(tables, rel_columns, strict=True):
        require_columns(columns, needed, where)
        all_rows.extend(table)
        if has_relevance:
            gold_rel += _relevance_gold(table, column, where)
    texts = [str(r.get(text_column) or "") for r in all_rows]
    start = time.perf_counter()
    predictions = bundle.predict(texts)
    elapsed = time.perf_counter() - start
    classes = bundle.model.classes_
    local = rule_of(bundle.manifest)
    result: dict = {}
    for t in asked:
        gold = [str(r.get(t) or "").strip() for r in all_rows]
        pred = [p.heads[t].label for p in predictions]
        conf = [p.heads[t].confidence for p in predictions]
        routed = local is not None and local[1] == t
        as_classes = [local[0].fold(g) or "" for g in gold] if routed else gold
        result[t] = head_metrics(as_classes, pred, conf, set(classes[t]))
        if routed:
            locations = [location_of_row(r, gazetteer, text_column) for r in all_rows]
            result[f"{t}_routed"] = route_metrics(local[0], gold, pred, conf, locations, classes[t])
    if has_relevance and bundle.model.relevance_ is not None:
        scores = [p.relevance for p in predictions]
        result[RELEVANCE] = relevance_metrics(gold_rel, scores, relevance_threshold)
    result["posts_per_s"] = float(len(texts) / elapsed) if elapsed > 0 and texts else 0.0
    return result


@dataclass
class HeadScores:
    """One head of one model on the held-out rows (with its predictions, for the model card)."""

    n: int
    n_unknown_label: int
    accuracy: float
    macro_f1: float
    coverage_at_95: float
    coverage_at_90: float
    accuracy_all: float = 0.0  # correct / every labelled row, unknown gold labels counted wrong
    gold: list[str] = field(repr=False, default_factory=list)
    predicted: list[str] = field(repr=False, default_factory=list)
    confidence: list[float] = field(repr=False, default_factory=list)

    def figures(self) -> dict:
        return {
            "n": self.n,
            "n_unknown_label": self.n_unknown_label,
            "accuracy": round(self.accuracy, 4),
            "accuracy_all": round(self.accuracy_all, 4),
            "macro_f1": round(self.macro_f1, 4),
            "coverage_at_95": round(self.coverage_at_95, 4),
            "coverage_at_90": round(self.coverage_at_90, 4),
        }


def _head_scores(gold, predicted, confidence, n_unknown: int) -> HeadScores:
    from sklearn.metrics import f1_score

    correct = [g == p for g, p in zip(gold, predicted, strict=True)]
    return HeadScores(
        n=len(gold) + n_unknown,
        n_unknown_label=n_unknown,
        accuracy=float(np.mean(correct)) if gold else 0.0,
        accuracy_all=float(sum(correct) / (len(gold) + n_unknown)) if gold or n_unknown else 0.0,
        macro_f1=float(
            f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)
        )
        if gold
        else 0.0,
        coverage_at_95=coverage_at(confidence, correct, 0.95),
        coverage_at_90=coverage_at(confidence, correct, 0.90),
        gold=list(gold),
        predicted=list(predicted),
        confidence=[float(c) for c in confidence],
    )


def score_bundle(
    bundle: Bundle,
    texts: Sequence[str],
    gold: Mapping[str, Sequence[str | None]],
    is_complaint: Sequence[bool] | None = None,
    known: Mapping[str, set[str]] | None = None,
) -> dict[str, HeadScores]:
    """Score each head the bundle has on the rows with a gold label it knows (``known``).

    Champion and challenger are scored on the same rows: those whose gold label is a class both
    know; the others count in ``n_unknown_label``, as in ``evaluate``. Macro-F1 averages over the
    gold classes of those rows, so a prediction of a class only one model knows is an error (it
    lowers that gold class's recall) but adds no zero term of its own.

    ``gold[target][i]`` is row i's label or None (row not labelled for that head); ``known``
    narrows the classes counted (default: the bundle's own); ``is_complaint`` (optional) scores
    the relevance head at 0.5 when the rows hold both complaints and non-complaints.
    """
    texts = list(texts)
    proba = bundle.predict_proba(texts) if texts else {}
    top = bundle.model.best(proba) if texts else {}
    classes = bundle.model.classes_
    out: dict[str, HeadScores] = {}
    for target, column in gold.items():
        if target not in classes or not texts:
            continue
        names = classes[target]
        allowed = set(names) & set(known[target] if known and target in known else names)
        labelled = [i for i, g in enumerate(column) if g]
        if not labelled:
            continue  # no gold label for this head among the rows: nothing to score it on
        rows = [i for i in labelled if column[i] in allowed]
        labels, probabilities = top[target]
        predicted = [labels[i] for i in rows]
        confidence = list(probabilities[rows])
        out[target] = _head_scores(
            [str(column[i]) for i in rows], predicted, confidence, len(labelled) - len(rows)
        )
    if is_complaint is not None and RELEVANCE in proba and len(set(is_complaint)) == 2:
        rel = proba[RELEVANCE]
        predicted = ["complaint" if r >= RELEVANCE_THRESHOLD else "other" for r in rel]
        confidence = [max(r, 1 - r) for r in rel]
        gold_rel = ["complaint" if c else "other" for c in is_complaint]
        out[RELEVANCE] = _head_scores(gold_rel, predicted, confidence, 0)
    return out


def shared_classes(*bundles: Bundle | None) -> dict[str, set[str]]:
    """Per head, the classes every given bundle knows (heads missing from one are skipped)."""
    present = [b.model.classes_ for b in bundles if b is not None]
    heads = set.intersection(*(set(c) for c in present)) if present else set()
    return {h: set.intersection(*(set(c[h]) for c in present)) for h in heads}
