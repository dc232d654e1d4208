"""MODEL_CARD.md beside a bundle: data, classes, per-class figures, confusions, calibration."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from classifier.evaluate import HeadScores

__all__ = ["CARD_FILE", "build_card", "reliability_table", "write_card"]

logger = logging.getLogger(__name__)

CARD_FILE = "MODEL_CARD.md"
RELIABILITY_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
MAX_PLOT_CLASSES = 25
FIGURES = ("accuracy", "accuracy_all", "macro_f1", "coverage_at_95", "coverage_at_90")


class Decision(Protocol):
    """What the card shows of a promotion decision (``training.promotion.Decision``)."""

    promote: bool
    reasons: list[str]


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|")


def reliability_table(confidence: Sequence[float], correct: Sequence[bool]) -> list[dict]:
    """Rows binned by confidence: count, mean confidence and accuracy per bin (calibration)."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=float)
    out = []
    for lo, hi in zip(RELIABILITY_EDGES, RELIABILITY_EDGES[1:], strict=False):
        last = hi == RELIABILITY_EDGES[-1]
        mask = (conf >= lo) & ((conf <= hi) if last else (conf < hi))
        n = int(mask.sum())
        out.append(
            {
                "bin": f"{lo:.2f}–{hi:.2f}",
                "n": n,
                "mean_confidence": float(conf[mask].mean()) if n else None,
                "accuracy": float(ok[mask].mean()) if n else None,
            }
        )
    return out


def _expected_calibration_error(table: list[dict], total: int) -> float:
    return (
        sum(r["n"] / total * abs(r["mean_confidence"] - r["accuracy"]) for r in table if r["n"])
        if total
        else 0.0
    )


def _or_dash(value: float | None) -> float | str:
    return "–" if value is None else value


def _pairs(mapping: Mapping) -> str:
    return ", ".join(f"{k} {v}" for k, v in mapping.items()) or "none"


def _data_section(manifest: dict) -> list[str]:
    lines = ["## Data", ""]
    retrain = manifest.get("retrain", {})
    sources = retrain.get("training_set", {}).get("sources")
    if sources:
        lines += _table(
            ["source", "texts", "detail"],
            [(s["name"], s["texts"], s.get("detail", "")) for s in sources],
        )
    files = manifest.get("data_files") or []
    if files:
        lines += _table(
            ["training file", "rows", "sha256"],
            [(f["path"], f["rows"], f["sha256"][:16]) for f in files],
        )
    lines.append(
        f"Texts after cleaning: {manifest.get('n_rows', '?')} labelled complaints, "
        f"{manifest.get('n_negatives', 0)} non-complaint texts for the relevance head. "
        f"Label cleaning: {_pairs(manifest.get('label_cleaning', {}))}."
    )
    if retrain.get("resolution_rule"):
        lines.append(f"Conflicting labels: {retrain['resolution_rule']}.")
    lines += [
        "",
        f"Libraries: {_pairs(manifest.get('libraries', {}))}; seed {manifest.get('seed')}.",
        "",
    ]
    return lines


def _classes_section(manifest: dict) -> list[str]:
    lines = ["## Classes", ""]
    for target, names in manifest.get("classes", {}).items():
        counts = manifest.get("class_counts", {}).get(target, {})
        lines.append(f"**{target}** ({len(names)} classes, training rows per class):")
        lines.append("")
        lines.append(", ".join(f"{n} ({counts.get(n, '?')})" for n in names))
        lines.append("")
    return lines


def _head_section(target: str, s: HeadScores, picture: str | None) -> list[str]:
    from sklearn.metrics import precision_recall_fscore_support

    lines = [f"### {target}", ""]
    lines += _table(
        ["n", "unknown gold label", *FIGURES],
        [(s.n, s.n_unknown_label, *[getattr(s, f) for f in FIGURES])],
    )
    support = Counter(s.gold)
    labels = sorted(set(s.gold) | set(s.predicted), key=lambda c: (-support[c], c))
    p, r, f, n = precision_recall_fscore_support(
        s.gold, s.predicted, labels=labels, zero_division=0
    )
    lines += ["Per class (held-out rows):", ""]
    lines += _table(
        ["class", "precision", "recall", "F1", "support"],
        [(c, float(p[i]), float(r[i]), float(f[i]), int(n[i])) for i, c in enumerate(labels)],
    )
    pairs = Counter((g, q) for g, q in zip(s.gold, s.predicted, strict=True) if g != q)
    lines += ["Most confused pairs (gold → predicted):", ""]
    lines += _table(
        ["gold", "predicted", "rows"], [(g, q, k) for (g, q), k in pairs.most_common(10)]
    )
    correct = [g == q for g, q in zip(s.gold, s.predicted, strict=True)]
    table = reliability_table(s.confidence, correct)
    ece = _expected_calibration_error(table, len(correct))
    lines += [f"Calibration (reliability table; expected calibration error {ece:.3f}):", ""]
    lines += _table(
        ["confidence", "rows", "mean confidence", "accuracy"],
        [
            (r["bin"], r["n"], _or_dash(r["mean_confidence"]), _or_dash(r["accuracy"]))
            for r in table
        ],
    )
    if picture:
        lines += [f"![confusion matrix of {target}]({picture})", ""]
    return lines


def _comparison_section(
    scores: Mapping[str, HeadScores],
    champion: Mapping[str, HeadScores] | None,
    champion_version: str | None,
    decision: Decision | None,
    notes: Sequence[str] = (),
) -> list[str]:
    lines = ["## Comparison with the previous champion", ""]
    if champion is None:
        lines += ["There was no champion before this model.", ""]
    else:
        rows = []
        for target, new in scores.items():
            old = champion.get(target)
            for f in FIGURES:
                a = getattr(new, f)
                b = getattr(old, f) if old else None
                rows.append((target, f, a, "–" if b is None else b, "–" if b is None else a - b))
        lines += [f"Same held-out rows; previous champion: {champion_version}.", ""]
        lines += _table(["head", "figure", "this model", "champion", "difference"], rows)
    if decision is not None:
        verdict = "promoted" if decision.promote else "NOT promoted"
        lines += [f"Decision: **{verdict}**.", ""] + [f"- {r}" for r in decision.reasons] + [""]
    if notes:
        # The same notes the CLI prints (e.g. an optimistic champion), so the card says it too.
        lines += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    return lines


def _training_validation_section(manifest: dict) -> list[str]:
    """The held-out summary ``aduan train`` recorded (``manifest["validation"]``), and what a card
    without per-row predictions cannot show."""
    validation = manifest.get("validation") or {}
    targets = manifest.get("targets", [])
    names = [*targets, *(f"{t}_routed" for t in targets)]  # routed: local offices by location
    heads = [t for t in names if isinstance(validation.get(t), dict)]
    if heads:
        lines = [
            f"Held-out rows at training time: the latest {validation['fraction']:.0%} by "
            f"created_at, {validation['rows']} texts from {validation.get('from') or '?'}, scored "
            "by a model fit on the earlier rows only (the saved model was then fit on all rows). "
            "Figures are on the rows whose gold label is a class that model knows, except "
            "accuracy_all: correct / every labelled row (a label it cannot produce is wrong).",
            "",
        ]
        rows = []
        for t in heads:
            v = validation[t]
            rows.append((t, v["n"], v["n_unknown_label"], *[_or_dash(v.get(f)) for f in FIGURES]))
        lines += _table(["head", "n", "unknown gold label", *FIGURES], rows)
        recall = validation.get("relevance_recall_at_0.5")
        if recall is not None:
            lines += [f"Relevance: {recall:.3f} of the held-out complaints score 0.5 or more.", ""]
    else:
        lines = [
            "No held-out figures: validation was skipped at training time "
            "(`--validation-fraction 0`, or the split left a head fewer than two classes).",
            "",
        ]
    lines += [
        "Not in this card: per-class precision/recall/F1, the most confused pairs and the "
        "reliability table (they need each held-out row's prediction, which `aduan train` does "
        "not keep), and a comparison with the champion. `aduan run retrain` writes them.",
        "",
    ]
    return lines


def _confusion_png(target: str, s: HeadScores, out: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    from sklearn.metrics import confusion_matrix

    labels = [c for c, _ in Counter(s.gold).most_common(MAX_PLOT_CLASSES)]
    keep = [i for i, g in enumerate(s.gold) if g in labels]
    cm = confusion_matrix(
        [s.gold[i] for i in keep], [s.predicted[i] for i in keep], labels=labels
    ).astype(float)
    cm /= np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = 3 + 0.35 * len(labels)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"{target}: confusion matrix (row-normalised)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return True


# The figures come from held-out rows scored by ``classifier.evaluate.score_bundle`` (the rows the
# promotion decision used). A confusion-matrix PNG is drawn only when matplotlib is installed
# (optional extra ``plots``); without it the card says so and the rest is unchanged.
#
# ``aduan train`` has no such scores: its card shows the summary figures of the manifest's
# validation split and says which sections need ``aduan run retrain``.
def build_card(
    manifest: dict,
    scores: Mapping[str, HeadScores] | None = None,
    *,
    champion: Mapping[str, HeadScores] | None = None,
    champion_version: str | None = None,
    decision: Decision | None = None,
    pictures: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The card's markdown text."""
    lines = [
        f"# Model card: {manifest['version']}",
        "",
        f"Created {manifest.get('created_at', '?')}; heads: relevance "
        f"({'yes' if manifest.get('has_relevance') else 'no'}), {', '.join(manifest['targets'])}.",
        "",
    ]
    lines += _data_section(manifest) + _classes_section(manifest)
    lines += ["## Evaluation", ""]
    held = manifest.get("retrain", {}).get("evaluation_set")
    if held:
        lines += [
            f"Held-out rows: the latest {held['fraction']:.0%} by time, {held['n']} texts from "
            f"{held['from']} to {held['to']} (sha256 of their keys {held['keys_sha256'][:16]}); "
            "the model was not trained on them. Figures are on the rows whose gold label is a "
            "class this model (and the champion, when compared) knows; the others are counted "
            "as unknown gold labels, and as wrong in accuracy_all (correct / every labelled row).",
            "",
        ]
    if scores:
        for target, s in scores.items():
            lines += _head_section(target, s, (pictures or {}).get(target))
        if not pictures:
            lines += ["(No confusion-matrix picture: install the `plots` extra for one.)", ""]
        lines += _comparison_section(scores, champion, champion_version, decision, notes)
    else:
        lines += _training_validation_section(manifest)
    return "\n".join(lines)


def write_card(
    bundle_dir: Path,
    manifest: dict,
    scores: Mapping[str, HeadScores] | None = None,
    **kwargs,
) -> Path:
    """Write MODEL_CARD.md (and confusion_<head>.png when matplotlib is there) into bundle_dir."""
    bundle_dir = Path(bundle_dir)
    pictures = {}
    for target, s in (scores or {}).items():
        name = f"confusion_{target}.png"
        if s.gold and _confusion_png(target, s, bundle_dir / name):
            pictures[target] = name
    path = bundle_dir / CARD_FILE
    text = build_card(manifest, scores, pictures=pictures, **kwargs)
    path.write_text(text, encoding="utf-8")
    logger.info("wrote %s", path)
    return path
