"""The areas' LAPOR! location ids (``aduan lapor map --auto``): the gazetteer's kecamatan and
kelurahan matched by name against LAPOR!'s locations, ids written into areas.yaml's id lines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from store.areas import Area, Gazetteer, fold_name

__all__ = ["AreaMapping", "LocationRow", "apply_area_ids", "map_areas", "strip_level"]

_PREFIXES = {"kelurahan": ("kelurahan", "kel"), "kecamatan": ("kecamatan", "kec")}
_MAX_DEPTH = 8  # province > kota > kecamatan > kelurahan, with room to spare


@dataclass(frozen=True)
class LocationRow:
    """One row of LAPOR!'s locations listing."""

    ref_id: str
    name: str
    parent_id: str | None = None


@dataclass
class AreaMapping:
    """Location ids found per area key, and what was matched, ambiguous or missing (lines)."""

    ids: dict[str, str] = field(default_factory=dict)
    matched: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def strip_level(name: str) -> tuple[str | None, str]:
    """(level its prefix names or None, the name without it, squashed: no case, punctuation or
    spaces). ``"KEL. Air Nona"`` -> ``("kelurahan", "airnona")``."""
    folded = fold_name(name)
    for level, prefixes in _PREFIXES.items():
        for prefix in prefixes:
            if folded.startswith(prefix + " ") and len(folded) > len(prefix) + 1:
                return level, folded[len(prefix) + 1 :].replace(" ", "")
    return None, folded.replace(" ", "")


def _spellings(area: Area) -> set[str]:
    return {fold_name(s).replace(" ", "") for s in area.spellings()}


class _Listing:
    """The locations listing indexed by squashed name, with each row's ancestors."""

    def __init__(self, rows: Iterable[LocationRow]) -> None:
        self.rows = {r.ref_id: r for r in rows}
        self.by_name: dict[str, list[tuple[str | None, LocationRow]]] = {}
        for row in self.rows.values():
            level, squashed = strip_level(row.name)
            self.by_name.setdefault(squashed, []).append((level, row))

    def under(self, ref_id: str, ancestor: str) -> bool:
        parent = self.rows[ref_id].parent_id
        for _ in range(_MAX_DEPTH):
            if parent is None:
                return False
            if parent == ancestor:
                return True
            parent = self.rows[parent].parent_id if parent in self.rows else None
        return False

    def candidates(self, area: Area, within: str | None, taken: set[str]) -> list[LocationRow]:
        found: dict[str, tuple[str | None, LocationRow]] = {}
        for spelling in _spellings(area):
            for level, row in self.by_name.get(spelling, []):
                if level in (None, area.level) and row.ref_id not in taken:
                    found[row.ref_id] = (level, row)
        rows = list(found.values())
        if within is not None:
            rows = _narrowed(rows, lambda lr: self.under(lr[1].ref_id, within))
            rows = _narrowed(rows, lambda lr: lr[1].parent_id == within)
        rows = _narrowed(rows, lambda lr: lr[0] == area.level)
        return sorted((row for _, row in rows), key=lambda r: r.ref_id)


def _narrowed(rows: list, keep) -> list:
    """The rows that pass `keep`, unless none does (then the hierarchy or prefix says nothing)."""
    kept = [r for r in rows if keep(r)]
    return kept or rows


def _what(area: Area) -> str:
    return f"area {area.key} ({area.level} {area.name})"


# A name matches whatever its case, punctuation or spaces ("KEL. AIR NONA" = "Airnona"), with or
# without a level prefix ("Kel.", "Kelurahan", "Kec.", "Kecamatan"); every spelling of the area
# (its name and aliases) counts. When several locations match, the hierarchy decides: a kecamatan
# under the region's location, a kelurahan under its kecamatan's (a direct child first); then a
# prefix naming the area's level. A name still matching several locations is ambiguous, one
# matching none is missing: both are listed and left for a human.
def map_areas(
    gazetteer: Gazetteer, rows: Iterable[LocationRow], region_id: str | None = None
) -> AreaMapping:
    """Match every area of `gazetteer` to one location of `rows`; `region_id` is the region's
    own location (``lapor.default_location_id``), under which its kecamatan are looked for."""
    listing = _Listing(rows)
    mapping = AreaMapping()
    region = str(region_id) if region_id is not None else None
    kecamatan_ids: dict[str, str] = {}
    for level in ("kecamatan", "kelurahan"):
        # a kecamatan's own location is never also one of its kelurahan's
        taken = set(kecamatan_ids.values())
        for area in gazetteer.of_level(level):
            if level == "kecamatan":
                within = region
            else:
                within = kecamatan_ids.get(area.parent or "") or region
            found = listing.candidates(area, within, taken)
            if len(found) == 1:
                row = found[0]
                mapping.ids[area.key] = row.ref_id
                was = area.lapor_location_id
                change = f" (was {was})" if was is not None and str(was) != row.ref_id else ""
                mapping.matched.append(f"{_what(area)} -> {row.ref_id} {row.name!r}{change}")
                if level == "kecamatan":
                    kecamatan_ids[area.key] = row.ref_id
                continue
            if level == "kecamatan" and area.lapor_location_id is not None:
                kecamatan_ids[area.key] = str(area.lapor_location_id)  # set by hand earlier
            if found:
                listed = ", ".join(f"{r.ref_id} {r.name!r}" for r in found)
                mapping.ambiguous.append(f"{_what(area)}: {len(found)} locations match: {listed}")
            else:
                mapping.missing.append(f"{_what(area)}: no location of that name")
    return mapping


def apply_area_ids(text: str, ids: dict[str, str]) -> str:
    """areas.yaml text with ``lapor_location_id`` set for the areas in `ids` (comments kept); an
    area without such a line gets one after its ``key:`` line."""
    out: list[str] = []
    key, indent = None, ""
    for line in text.splitlines(keepends=True):
        newline = "\n" if line.endswith("\n") else ""
        if found := re.match(r"^(\s*)-\s*key:\s*(\S+)", line):
            if key in ids:  # the previous area had no lapor_location_id line
                out.insert(_after_key(out), f"{indent}lapor_location_id: {_yaml_id(ids[key])}\n")
            key, indent = found.group(2).strip("'\""), found.group(1) + "  "
            out.append(line)
            continue
        if key in ids and re.match(r"^\s*lapor_location_id:", line):
            line = (
                re.sub(
                    r"^(\s*lapor_location_id:\s*)[^#\n]*?(\s*(#.*)?)$",
                    lambda m, v=ids[key]: f"{m.group(1)}{_yaml_id(v)}{m.group(2)}",
                    line.rstrip("\n"),
                )
                + newline
            )
            out.append(line)
            key = None  # written
            continue
        out.append(line)
    if key in ids:
        out.insert(_after_key(out), f"{indent}lapor_location_id: {_yaml_id(ids[key])}\n")
    return "".join(out)


def _after_key(lines: list[str]) -> int:
    """The index just after the last ``- key:`` line written so far."""
    for i in range(len(lines) - 1, -1, -1):
        if re.match(r"^\s*-\s*key:", lines[i]):
            return i + 1
    return len(lines)


def _yaml_id(value: str) -> str:
    return value if str(value).isdigit() else f'"{value}"'
