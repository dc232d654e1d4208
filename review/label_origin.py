"""Whose a card's label is: the model's guess (shown with its chance) or a person's decision
(a facilitator's accept or correction, or LAPOR!'s acceptance of a reroute), shown as such."""

from __future__ import annotations

from typing import Any

from classifier.chances import by_chance
from store.audit import SYSTEM

DECIDING = ("accept", "correct", "reroute", "auto_approve")
SAID = {"accept": "dipilih fasilitator", "correct": "dipilih fasilitator", "reroute": "diteruskan"}


def label_origin(view: Any, kind: str) -> str | None:
    """``dipilih fasilitator`` / ``diteruskan`` when a person chose the case's current ``kind``
    (agency | topic) label, None when it is still the model's."""
    current = getattr(view.case, kind)
    for review in reversed(view.reviews or []):
        if review.action not in DECIDING:
            continue
        if review.action == "reroute" and kind != "agency":
            continue  # a reroute changes the agency only
        if review.action == "auto_approve" or review.reviewer == SYSTEM:
            return None
        return SAID[review.action] if getattr(review, f"{kind}_after") == current else None
    return None


def model_suggestion(view: Any, kind: str) -> tuple[str, float] | None:
    """The model's likeliest label for ``kind`` with its chance, None without a classification."""
    found = view.classification
    if found is None:
        return None
    ranked = by_chance(
        getattr(found, kind),
        getattr(found, f"{kind}_confidence"),
        view.alternatives(kind),
    )
    return ranked[0] if ranked else None
