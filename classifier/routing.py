"""Local offices: one model class per level, the office picked from the complaint's location."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from classifier.exceptions import DataError

__all__ = [
    "LEVELS",
    "NOT_IN_GAZETTEER",
    "UNKNOWN_LOCATION",
    "LocalOffices",
    "Routed",
    "location_of_row",
    "parse_local_offices",
    "route_labels",
    "route_metrics",
    "rule_of",
]

LEVELS = ("kelurahan", "kecamatan")
UNKNOWN_LOCATION = "lokasi tidak diketahui"
LOCATION_COLUMNS = ("kecamatan", "kelurahan")
NOT_IN_GAZETTEER = "not_in_gazetteer"  # location_of_row: the row's place names the gazetteer lacks
_NON_WORD = re.compile(r"[^0-9a-z]+")


def squash(name: str) -> str:
    """A place name compared without case, punctuation or spaces ("Pacar Kembang" =
    "Pacarkembang")."""
    return _NON_WORD.sub("", str(name).casefold())


@dataclass(frozen=True)
class Routed:
    """A routed agency: the label (an office's own label for a local class), and how."""

    label: str
    status: str  # subject (not a local office) | office | kecamatan_fallback | unknown_location


# A training set may label complaints with the office of one kelurahan or kecamatan ("Kelurahan
# Putat Jaya", "Kecamatan Tegalsari"): hundreds of offices with a handful of rows each, which no
# classifier can learn one by one. The declared rule (``LocalOffices``: a template per level, e.g.
# ``Kelurahan {name}``) folds every such label into its level's class (``kelurahan``,
# ``kecamatan``). After prediction, ``route`` turns the class back into the office of the
# complaint's own location, which gives the office's own label, comparable with the data. A
# location the router does not have is routed as ``UNKNOWN_LOCATION`` for a facilitator.
@dataclass(frozen=True)
class LocalOffices:
    """The folding rule: ``templates[level]`` is how the data names a local office of that level
    (``{name}`` is the place). The class a level folds into is the level's name."""

    templates: Mapping[str, str]

    def __post_init__(self) -> None:
        for level, template in self.templates.items():
            if level not in LEVELS:
                raise DataError(f"local offices: unknown level {level!r} (kelurahan, kecamatan)")
            if template.count("{name}") != 1:
                raise DataError(f"local offices: template {template!r} needs one {{name}}")

    def as_dict(self) -> dict:
        return dict(self.templates)

    def _patterns(self) -> list[tuple[str, re.Pattern]]:
        out = []
        for level, template in self.templates.items():
            before, after = template.split("{name}")
            pattern = re.compile(
                rf"^\s*{re.escape(before.strip())}\s*(?P<name>.+?)\s*{re.escape(after.strip())}\s*$",
                re.IGNORECASE,
            )
            out.append((level, pattern))
        return out

    def parse(self, label: str | None) -> tuple[str, str] | None:
        """(level, place) when `label` names a local office, else None."""
        if not label:
            return None
        for level, pattern in self._patterns():
            if found := pattern.match(label):
                return level, found.group("name")
        return None

    def fold(self, label: str | None) -> str | None:
        """The class a training label becomes: its level for a local office, else itself."""
        parsed = self.parse(label)
        return parsed[0] if parsed else label

    def office_label(self, level: str, place: str) -> str:
        return self.templates[level].format(name=place)

    def canonical(self, label: str) -> str:
        """A label compared with another: a local office's place name squashed."""
        parsed = self.parse(label)
        return self.office_label(parsed[0], squash(parsed[1])) if parsed else label

    def route(self, label: str, location: Mapping[str, str | None]) -> Routed:
        """The office for a predicted class, from the location's place names by level."""
        if label not in self.templates:
            return Routed(label, "subject")
        place = (location.get(label) or "").strip()
        if place:
            return Routed(self.office_label(label, place), "office")
        kecamatan = (location.get("kecamatan") or "").strip()
        if label == "kelurahan" and kecamatan and "kecamatan" in self.templates:
            return Routed(self.office_label("kecamatan", kecamatan), "kecamatan_fallback")
        return Routed(UNKNOWN_LOCATION, "unknown_location")


def parse_local_offices(text: str | None) -> LocalOffices | None:
    """``"kelurahan=Kelurahan {name},kecamatan=Kecamatan {name}"`` (the CLI's form), or None."""
    if not text or not text.strip():
        return None
    templates = {}
    for part in text.split(","):
        level, sep, template = part.partition("=")
        if not sep:
            raise DataError(
                f"--local-offices: {part.strip()!r} is not LEVEL=TEMPLATE "
                "(e.g. kelurahan=Kelurahan {name})"
            )
        templates[level.strip()] = template.strip()
    return LocalOffices(templates)


def location_of_row(row: Mapping[str, str], gazetteer=None, text_column: str = "text") -> dict:
    """Place names by level for one labelled row: its kecamatan/kelurahan columns when it has
    them, else what the gazetteer (``store.areas.Gazetteer``, optional) finds in its text.

    With a gazetteer, a column naming a place it does not know is never taken as given: the row
    keeps only what the gazetteer knows (a known kecamatan of an unknown kelurahan routes to the
    kecamatan's office; nothing known routes as UNKNOWN_LOCATION) and ``NOT_IN_GAZETTEER`` lists
    the unknown names, which ``route_metrics`` counts."""
    names = {c: str(row.get(c) or "").strip() or None for c in LOCATION_COLUMNS}
    if any(names.values()) or gazetteer is None:
        if gazetteer is None:
            return names
        found = gazetteer.from_columns(names["kecamatan"], names["kelurahan"])
        known = _names(gazetteer, found)
        if found.unknown:
            known[NOT_IN_GAZETTEER] = ", ".join(found.unknown)
        return known
    return _names(gazetteer, gazetteer.extract(str(row.get(text_column) or "")))


def _names(gazetteer, location) -> dict:
    out = {}
    for level in LOCATION_COLUMNS:
        key = getattr(location, level)
        out[level] = gazetteer.areas[key].name if key else None
    return out


def route_labels(
    rule: LocalOffices, labels: Sequence[str], locations: Sequence[Mapping[str, str | None]]
) -> list[Routed]:
    return [rule.route(lab, loc) for lab, loc in zip(labels, locations, strict=True)]


def rule_of(manifest: Mapping) -> tuple[LocalOffices, str] | None:
    """(rule, target) a bundle was trained with, or None."""
    local = manifest.get("local_offices")
    if not local:
        return None
    return LocalOffices(dict(local["templates"])), str(local["target"])


def route_metrics(
    rule: LocalOffices,
    gold: Sequence[str],
    predicted: Sequence[str],
    confidence: Sequence[float],
    locations: Sequence[Mapping[str, str | None]],
    classes: Sequence[str],
) -> dict:
    """``head_metrics`` of the routed labels against the labels as given (place names compared
    squashed), with how many rows were routed to an office, how many had no location, and how many
    named a place the gazetteer does not know. A gold office counts as known when the model has
    its level's class."""
    from classifier.evaluate import head_metrics

    routed = route_labels(rule, predicted, locations)
    known = set(classes)
    gold_c = [rule.canonical(g) if g else "" for g in gold]
    known_c = {g for g, raw in zip(gold_c, gold, strict=True) if g and rule.fold(raw) in known}
    pred_c = [rule.canonical(r.label) for r in routed]
    figures = head_metrics(gold_c, pred_c, list(confidence), known_c)
    statuses = [r.status for r in routed]
    figures["n_routed_office"] = statuses.count("office") + statuses.count("kecamatan_fallback")
    figures["n_unknown_location"] = statuses.count("unknown_location")
    unknown_places = sum(bool(loc.get(NOT_IN_GAZETTEER)) for loc in locations)
    figures["n_location_not_in_gazetteer"] = unknown_places
    return figures
