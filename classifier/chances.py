"""One meaning per number: every percentage shown for a label is its chance of being right."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

LEGEND = "Persen = dari 100 tag seperti ini, berapa yang benar."
LEGEND_EN = "% = of 100 tags like this, how many are right"


# ``Bundle.predict`` gives the chosen label's confidence and its alternatives in that one unit (the
# head's top-label calibration: of 100 tags like this, how many are right). The model's ranking may
# still put a less likely label first (prior correction, rank offsets); what a facilitator is
# offered, and what ``aduan classify`` prints, is the most likely one first, so the chosen label's
# percentage is the highest shown.
def by_chance(
    label: str | None, confidence: float | None, alternatives: Iterable[Sequence] = ()
) -> list[tuple[str, float]]:
    """``(label, chance)`` highest first (ties keep the model's order); ``label`` with
    ``confidence`` is included when the alternatives do not name it."""
    seen: dict[str, float] = {}
    for item in alternatives or ():
        name, chance = str(item[0]), float(item[1])
        seen.setdefault(name, chance)
    if label is not None and confidence is not None:
        seen.setdefault(label, float(confidence))
    return sorted(seen.items(), key=lambda kv: -kv[1])  # sorted() is stable


def shown(
    chosen: str | None, confidence: float | None, alternatives: Iterable[Sequence] = ()
) -> tuple[float | None, list[tuple[str, float]]]:
    """The chosen label's chance and the others, highest first, for a card."""
    ranked = by_chance(chosen, confidence, alternatives)
    mine = next((p for name, p in ranked if name == chosen), confidence)
    return mine, [(name, p) for name, p in ranked if name != chosen]
