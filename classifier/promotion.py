"""Champion vs challenger on the same held-out rows, and the rule that decides a promotion.

Both models are scored on exactly the same rows: the held-out rows whose gold label is a class
that both models know (``known``). Rows with a label one of them never learned (a rare class left
out by --min-class-size, or a new topic) are counted in ``n_unknown_label`` and left out, as
``aduan evaluate`` does. Macro-F1 averages over the gold classes of those rows: a prediction of
a class only one model knows is an error (it lowers that gold class's recall) but adds no zero
term of its own, so a challenger that learned a new class is not penalised twice for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from classifier.bundle import Bundle
from classifier.evaluate import coverage_at
from classifier.model import RELEVANCE

__all__ = ["Decision", "HeadScores", "Rules", "decide", "score_bundle", "shared_classes"]

RELEVANCE_THRESHOLD = 0.5


@dataclass(frozen=True)
class Rules:
    """A challenger must not lose more than this on any head shared with the champion."""

    max_macro_f1_drop: float = 0.01
    allow_accuracy_drop: float = 0.0


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


@dataclass(frozen=True)
class Decision:
    """Whether the challenger becomes champion, and why (one reason per rule checked)."""

    promote: bool
    reasons: list[str]


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
    """Score each head the bundle has on the rows with a gold label it knows.

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


def decide(
    champion: Mapping[str, HeadScores] | None,
    challenger: Mapping[str, HeadScores],
    rules: Rules,
    champion_version: str | None = None,
) -> Decision:
    """Promote only if, on every head the champion has, the challenger's macro-F1 is not lower by
    more than ``max_macro_f1_drop`` and its accuracy not lower by more than
    ``allow_accuracy_drop``."""
    if champion is None:
        return Decision(True, ["no champion yet: the challenger becomes the first champion"])
    name = f"champion {champion_version}" if champion_version else "the champion"
    reasons, ok = [], True
    for target, old in champion.items():
        new = challenger.get(target)
        if new is None:
            ok = False
            reasons.append(f"{target}: the challenger has no {target} head; {name} has one")
            continue
        f1_drop = old.macro_f1 - new.macro_f1
        acc_drop = old.accuracy - new.accuracy
        f1_ok = f1_drop <= rules.max_macro_f1_drop + 1e-12
        acc_ok = acc_drop <= rules.allow_accuracy_drop + 1e-12
        ok = ok and f1_ok and acc_ok
        reasons.append(
            f"{target}: macro-F1 {new.macro_f1:.4f} vs {old.macro_f1:.4f} "
            f"({_verdict(f1_drop, rules.max_macro_f1_drop)}), "
            f"accuracy {new.accuracy:.4f} vs {old.accuracy:.4f} "
            f"({_verdict(acc_drop, rules.allow_accuracy_drop)})"
        )
    if not champion:
        reasons.append(f"{name} has no head to compare on these rows")
    return Decision(ok, reasons)


def _verdict(drop: float, allowed: float) -> str:
    if drop <= allowed + 1e-12:
        return "ok"
    return f"lower by {drop:.4f}, allowed {allowed:g}"
