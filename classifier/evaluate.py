"""Evaluation of a bundle on labelled rows: the JSON object `aduan evaluate --json` prints."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifier.bundle import Bundle
from classifier.data import read_rows, require_columns
from classifier.exceptions import DataError
from classifier.model import RELEVANCE
from classifier.relevance_data import ALLOWED, label_column, parse_flag

__all__ = ["coverage_at", "evaluate", "head_metrics", "relevance_metrics"]


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
