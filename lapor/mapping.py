"""The profile's LAPOR! mapping: what is missing (``aduan lapor check``), and filling it from the
synced reference data by exact, case-insensitive name (``aduan lapor map --auto``)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from config.profile import Profile


def fold(name: str) -> str:
    return " ".join(name.casefold().split())


def missing_mappings(profile: Profile) -> list[str]:
    """Every id the profile still lacks, one line each (empty when everything is mapped)."""
    lines = []
    if profile.lapor.channel_id is None:
        lines.append("lapor.channel_id: not set")
    if profile.lapor.default_location_id is None:
        lines.append("lapor.default_location_id: not set")
    if profile.lapor.classification_id is None:
        lines.append("lapor.classification_id: not set (the report class, e.g. pengaduan)")
    if profile.lapor.user_id is None and profile.lapor.new_user is None:
        lines.append("lapor.user_id: not set (the integration's reporter account)")
    for agency in profile.agencies:
        if agency.lapor_disposition_id is None:
            lines.append(f"agency {agency.key} ({agency.name}): no lapor_disposition_id")
    for topic in profile.topics:
        if topic.lapor_category_id is None:
            lines.append(f"topic {topic.key} ({topic.name}): no lapor_category_id")
    return lines


def missing_area_ids(gazetteer) -> list[str]:
    """Areas of the profile's gazetteer (``store.areas.Gazetteer`` or None) without LAPOR! ids.

    Not blocking: a complaint in such an area is sent with ``lapor.default_location_id`` and the
    local-office agency's own ``lapor_disposition_id``."""
    lines = []
    for area in gazetteer.areas.values() if gazetteer is not None else []:
        absent = [
            name
            for name in ("lapor_location_id", "lapor_disposition_id")
            if getattr(area, name) is None
        ]
        if absent:
            lines.append(f"area {area.key} ({area.level} {area.name}): no {', no '.join(absent)}")
    return lines


def unknown_ids(profile: Profile, known: dict[str, set[str]], gazetteer=None) -> list[str]:
    """Mapped ids that are not in the synced reference lists (``known[kind]`` = ids), the areas'
    of `gazetteer` (``store.areas.Gazetteer`` or None) too."""
    lines = []
    checks = [("institution", a.key, a.lapor_disposition_id) for a in profile.agencies]
    checks += [("category", t.key, t.lapor_category_id) for t in profile.topics]
    checks.append(("location", "lapor.default_location_id", profile.lapor.default_location_id))
    for area in gazetteer.areas.values() if gazetteer is not None else []:
        checks.append(("location", f"area {area.key}", area.lapor_location_id))
        checks.append(("institution", f"area {area.key}", area.lapor_disposition_id))
    for kind, key, value in checks:
        if value is not None and known.get(kind) and str(value) not in known[kind]:
            lines.append(f"{key}: {kind} id {value} is not in the synced LAPOR! list")
    return lines


@dataclass
class Mapping:
    """Ids found by name; ``unmatched`` says what had no (or no single) exact match."""

    agencies: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)
    location_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    classification_id: str | None = None
    unmatched: list[str] = field(default_factory=list)
    areas: dict[str, str] = field(default_factory=dict)  # area key -> LAPOR! location id


# The areas' location ids are filled by ``lapor.area_mapping``.
def auto_map(profile: Profile, by_name: dict[str, dict[str, list[str]]]) -> Mapping:
    """Match agency names to institutions, topic names to categories and the region to a
    location (``by_name[kind][folded name] = ids``); ambiguous or absent names stay unmatched."""
    mapping = Mapping()

    def one(kind: str, name: str, what: str) -> str | None:
        ids = by_name.get(kind, {}).get(fold(name), [])
        if len(ids) == 1:
            return ids[0]
        mapping.unmatched.append(
            f"{what} ({name}): " + ("no exact match" if not ids else f"{len(ids)} {kind}s match")
        )
        return None

    for agency in profile.agencies:
        if (found := one("institution", agency.name, f"agency {agency.key}")) is not None:
            mapping.agencies[agency.key] = found
    for topic in profile.topics:
        if (found := one("category", topic.name, f"topic {topic.key}")) is not None:
            mapping.topics[topic.key] = found
    mapping.location_id = one("location", profile.region, "lapor.default_location_id")
    return mapping


def _yaml_id(value: str) -> str:
    return value if value.isdigit() else f'"{value}"'


# The filled taxonomy (and areas.yaml) is written by editing only their id lines, so comments and
# layout survive.
def apply_mapping(taxonomy: str, mapping: Mapping) -> str:
    """taxonomy.yaml text with the mapped ids written into its id lines (comments kept)."""
    out = []
    section, key = None, None
    for line in taxonomy.splitlines(keepends=True):
        if re.match(r"^(\w+):", line):
            section, key = line.split(":", 1)[0], None
        if found := re.match(r"^\s*-\s*key:\s*(\S+)", line):
            key = found.group(1)
        replacement = None
        if section == "agencies" and key in mapping.agencies:
            replacement = ("lapor_disposition_id", mapping.agencies[key])
        elif section == "topics" and key in mapping.topics:
            replacement = ("lapor_category_id", mapping.topics[key])
        elif section == "lapor" and mapping.location_id is not None:
            replacement = ("default_location_id", mapping.location_id)
        for name in ("channel_id", "user_id", "classification_id"):
            value = getattr(mapping, name)
            if section == "lapor" and value is not None and re.match(rf"^\s*{name}:", line):
                replacement = (name, value)
        if replacement and re.match(rf"^\s*{replacement[0]}:", line):
            line = re.sub(
                rf"^(\s*{replacement[0]}:\s*)[^#\n]*?(\s*(#.*)?)$",
                lambda m, v=replacement[1]: f"{m.group(1)}{_yaml_id(v)}{m.group(2)}",
                line.rstrip("\n"),
            ) + ("\n" if line.endswith("\n") else "")
        out.append(line)
    return "".join(out)


def write_profile_copy(profile: Profile, mapping: Mapping, out: Path) -> Path:
    """Copy the profile folder to ``out`` with the mapping applied to its taxonomy.yaml (and the
    areas' location ids to its areas.yaml)."""
    from lapor.area_mapping import apply_area_ids
    from store.areas import AREAS_FILE

    if profile.folder is None:
        raise ValueError("the profile has no folder to copy")
    if out.resolve() != Path(profile.folder).resolve():
        shutil.copytree(profile.folder, out, dirs_exist_ok=True)
    path = out / "taxonomy.yaml"
    path.write_text(
        apply_mapping(
            (Path(profile.folder) / "taxonomy.yaml").read_text(encoding="utf-8"), mapping
        ),
        encoding="utf-8",
    )
    areas = Path(profile.folder) / AREAS_FILE
    if mapping.areas and areas.is_file():
        (out / AREAS_FILE).write_text(
            apply_area_ids(areas.read_text(encoding="utf-8"), mapping.areas), encoding="utf-8"
        )
    return path
