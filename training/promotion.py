"""The promotion rule: a challenger becomes champion only if, on every head the champion has, it
loses no more than the profile's allowed macro-F1 and accuracy on the same held-out rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # classifier.evaluate loads scikit-learn
    from classifier.evaluate import HeadScores

__all__ = ["Decision", "Rules", "decide"]


@dataclass(frozen=True)
class Rules:
    """A challenger must not lose more than this on any head shared with the champion."""

    max_macro_f1_drop: float = 0.01
    allow_accuracy_drop: float = 0.0


@dataclass(frozen=True)
class Decision:
    """Whether the challenger becomes champion, and why (one reason per rule checked)."""

    promote: bool
    reasons: list[str]


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
