"""A profile's gazetteer (``<profile>/areas.yaml``): its kecamatan and kelurahan, their offices and
LAPOR! ids, and finding them in a complaint's text or in a source's location columns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from config.exceptions import ConfigError
from config.yaml_file import read_yaml

__all__ = [
    "AREAS_FILE",
    "LEVELS",
    "Area",
    "Gazetteer",
    "Location",
    "fold_name",
    "get_gazetteer",
    "load_gazetteer",
    "locate",
]

AREAS_FILE = "areas.yaml"
LEVELS = ("kecamatan", "kelurahan")
_PREFIXES = {
    "kelurahan": ("kelurahan", "kel", "kantor lurah", "lurah", "kantor kelurahan"),
    "kecamatan": ("kecamatan", "kec", "kantor camat", "camat", "kantor kecamatan"),
}
_NON_WORD = re.compile(r"[^0-9a-z]+")


# Matching folds case, turns punctuation into spaces and ignores the spaces between a name's words
# ("Air Nona" = "Airnona" = "air-nona"). A level prefix ("kel.", "kelurahan", "kec.", "kecamatan",
# "kantor lurah", "camat") before a name says which of two same-named areas is meant.
def fold_name(name: str) -> str:
    """Lower-case, punctuation as spaces, single spaces."""
    return " ".join(_NON_WORD.sub(" ", str(name).casefold()).split())


def _squash(name: str) -> str:
    return fold_name(name).replace(" ", "")


class Area(BaseModel):
    """One kecamatan or kelurahan and its office."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    level: Literal["kecamatan", "kelurahan"]
    name: str
    parent: str | None = None
    code: str | None = None
    office: str | None = None
    aliases: list[str] = []
    needs_prefix: bool = False
    lapor_location_id: int | str | None = None
    lapor_disposition_id: int | str | None = None

    def spellings(self) -> list[str]:
        return [self.name, *self.aliases]


@dataclass(frozen=True)
class Location:
    """Where a complaint is: its kelurahan and kecamatan (keys), how it was found, and every
    candidate when the text names more than one kelurahan (then ``kelurahan`` is None)."""

    kelurahan: str | None = None
    kecamatan: str | None = None
    origin: str = "none"  # source | text | none
    candidates: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()  # names from the source that the gazetteer does not know

    @property
    def key(self) -> str | None:
        """The most specific known area (kelurahan, else kecamatan)."""
        return self.kelurahan or self.kecamatan


@dataclass
class Gazetteer:
    """Areas by key, with a name index per level and one regex over every spelling."""

    region: str
    areas: dict[str, Area]
    _by_name: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _pattern: re.Pattern | None = field(default=None, repr=False)
    _spelling_of: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for area in self.areas.values():
            for spelling in area.spellings():
                self._by_name[(area.level, _squash(spelling))] = area.key
                self._spelling_of.setdefault(_squash(spelling), []).append(area.key)
        parts = sorted(self._spelling_of, key=len, reverse=True)
        if parts:
            alternatives = "|".join(_spelling_regex(s) for s in parts)
            prefixes = "|".join(_spelling_regex(p) for level in LEVELS for p in _PREFIXES[level])
            self._pattern = re.compile(
                rf"(?:\b(?P<prefix>{prefixes})\s*)?\b(?P<name>{alternatives})\b"
            )

    def of_level(self, level: str) -> list[Area]:
        return [a for a in self.areas.values() if a.level == level]

    def find(self, level: str, name: str) -> Area | None:
        """The area of this level with this name or alias (folded, spaces ignored)."""
        key = self._by_name.get((level, _squash(name)))
        return self.areas[key] if key else None

    def office_of(self, key: str | None, level: str) -> Area | None:
        """The area whose office handles `key` at `level` (a kelurahan's own, or its kecamatan)."""
        area = self.areas.get(key or "")
        if area is None:
            return None
        if area.level == level:
            return area
        if level == "kecamatan" and area.parent:
            return self.areas.get(area.parent)
        return None

    def routed_office(self, key: str | None, level: str) -> Area | None:
        """The office a local-office case goes to: its area's office at `level`; a kelurahan
        case whose kelurahan is unknown but whose kecamatan is known goes to the kecamatan's."""
        office = self.office_of(key, level)
        if office is None and level == "kelurahan":
            office = self.office_of(key, "kecamatan")
        return office

    def label(self, key: str | None) -> str:
        """ "Kel. Oebufu, Kec. Oebobo" / "Kec. Oebobo" (the key itself when unknown)."""
        area = self.areas.get(key or "")
        if area is None:
            return key or "-"
        if area.level == "kecamatan":
            return f"Kec. {area.name}"
        parent = self.areas.get(area.parent or "")
        return f"Kel. {area.name}, Kec. {parent.name}" if parent else f"Kel. {area.name}"

    def from_columns(self, kecamatan: str | None, kelurahan: str | None) -> Location:
        """A source's own location (e.g. a CSV's kecamatan/kelurahan columns)."""
        unknown = []
        kel = self.find("kelurahan", kelurahan) if (kelurahan or "").strip() else None
        kec = self.find("kecamatan", kecamatan) if (kecamatan or "").strip() else None
        if (kelurahan or "").strip() and kel is None:
            unknown.append(kelurahan.strip())
        if (kecamatan or "").strip() and kec is None:
            unknown.append(kecamatan.strip())
        if kel is not None and kec is None:
            kec = self.areas.get(kel.parent or "")
        if kel is None and kec is None:
            return Location(origin="none", unknown=tuple(unknown))
        return Location(
            kelurahan=kel.key if kel else None,
            kecamatan=kec.key if kec else None,
            origin="source",
            unknown=tuple(unknown),
        )

    def extract(self, text: str) -> Location:
        """The areas a text names; two different kelurahan give candidates and no kelurahan."""
        kelurahan, kecamatan = self._mentions(text)
        # a kelurahan named together with its own kecamatan is one place
        kelurahan = list(dict.fromkeys(kelurahan))
        kecamatan = list(dict.fromkeys(kecamatan))
        if len(kelurahan) > 1:
            parents = {self.areas[k].parent for k in kelurahan}
            kec = next(iter(parents)) if len(parents) == 1 else None
            return Location(kecamatan=kec, origin="text", candidates=tuple(kelurahan))
        if kelurahan:
            kel = self.areas[kelurahan[0]]
            return Location(kelurahan=kel.key, kecamatan=kel.parent, origin="text")
        if len(kecamatan) > 1:
            return Location(origin="text", candidates=tuple(kecamatan))
        if kecamatan:
            return Location(kecamatan=kecamatan[0], origin="text")
        return Location()

    def _mentions(self, text: str) -> tuple[list[str], list[str]]:
        """Kelurahan and kecamatan keys named in `text`, in order of appearance."""
        kelurahan: list[str] = []
        kecamatan: list[str] = []
        if self._pattern is None:
            return kelurahan, kecamatan
        for match in self._pattern.finditer(fold_name(text)):
            prefix = match.group("prefix")
            level = _level_of_prefix(prefix) if prefix else None
            keys = [self.areas[k] for k in self._spelling_of[_squash(match.group("name"))]]
            if level:
                keys = [a for a in keys if a.level == level]
            else:
                keys = [a for a in keys if not a.needs_prefix]
            levels = {a.level for a in keys}
            if levels == {"kecamatan", "kelurahan"}:
                # a bare name shared by a kecamatan and its kelurahan: the kecamatan surely holds it
                keys = [a for a in keys if a.level == "kecamatan"]
            for area in keys:
                (kelurahan if area.level == "kelurahan" else kecamatan).append(area.key)
        return kelurahan, kecamatan


def locate(gazetteer: Gazetteer | None, text: str, raw: str | None = None) -> Location:
    """A post's location: the source's own kecamatan/kelurahan (top-level keys of its raw JSON,
    as a CSV row or a geotagged item carries them) when it gives one, else the text's."""
    if gazetteer is None:
        return Location()
    given = _raw_place(raw)
    if any(given):
        found = gazetteer.from_columns(*given)
        if found.key or found.unknown:
            return found
    return gazetteer.extract(text or "")


def _raw_place(raw: str | None) -> tuple[str | None, str | None]:
    import json

    try:
        data = json.loads(raw) if raw else None
    except (TypeError, ValueError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    kec, kel = data.get("kecamatan"), data.get("kelurahan")
    return (str(kec) if kec else None), (str(kel) if kel else None)


def _spelling_regex(folded: str) -> str:
    """A spelling in which a space may stand between any two letters or be left out
    ("air nona" ~ "airnona", "naikoten 1" ~ "naikoten1")."""
    return r"\s?".join(re.escape(ch) for ch in folded.replace(" ", ""))


def _level_of_prefix(prefix: str) -> str | None:
    squashed = _squash(prefix)
    for level in LEVELS:
        if any(_squash(p) == squashed for p in _PREFIXES[level]):
            return level
    return None


def _entry_name(raw: object, index: int) -> str:
    if isinstance(raw, dict):
        return str(raw.get("key") or raw.get("name") or f"#{index + 1}")
    return f"#{index + 1}"


def _check(areas: list[Area], path: Path) -> None:
    """Keys unique, parents are kecamatan, no spelling shared by two areas of one level."""
    keys: set[str] = set()
    for area in areas:
        if area.key in keys:
            raise ConfigError(f"{path}: area {area.key!r}: duplicate key")
        keys.add(area.key)
    levels = {a.key: a.level for a in areas}
    seen: dict[tuple[str, str], str] = {}
    for area in areas:
        if area.level == "kelurahan" and levels.get(area.parent or "") != "kecamatan":
            raise ConfigError(
                f"{path}: area {area.key!r}: parent {area.parent!r} is not a kecamatan key"
            )
        for spelling in area.spellings():
            slot = (area.level, _squash(spelling))
            if slot in seen and seen[slot] != area.key:
                raise ConfigError(
                    f"{path}: area {area.key!r}: {area.level} name {spelling!r} is already "
                    f"used by {seen[slot]!r}"
                )
            seen[slot] = area.key


def load_gazetteer(path: Path) -> Gazetteer:
    """Read and validate an areas.yaml; a bad entry raises one ConfigError naming it."""
    path = Path(path)
    try:
        data = read_yaml(path, ConfigError) or {}
    except FileNotFoundError:
        raise ConfigError(f"no gazetteer at {path}") from None
    raw_areas = data.get("areas") if isinstance(data, dict) else None
    if not isinstance(raw_areas, list):
        raise ConfigError(f"{path}: needs a list `areas:`")
    areas = []
    for i, raw in enumerate(raw_areas):
        try:
            areas.append(Area(**raw) if isinstance(raw, dict) else Area.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            what = first["msg"]
            if where == "level":
                what = f"unknown level {raw.get('level')!r} (use kecamatan or kelurahan)"
            raise ConfigError(f"{path}: area {_entry_name(raw, i)!r}: {where}: {what}") from None
    _check(areas, path)
    return Gazetteer(region=str(data.get("region") or ""), areas={a.key: a for a in areas})


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> Gazetteer:
    return load_gazetteer(Path(path))


def get_gazetteer(folder: Path) -> Gazetteer | None:
    """The gazetteer of a profile folder, or None when it has none."""
    path = Path(folder) / AREAS_FILE
    if not path.is_file():
        return None
    return _cached(str(path.resolve()), path.stat().st_mtime)
