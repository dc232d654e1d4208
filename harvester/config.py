"""``sources.yaml``: each entry validated with its platform's model (harvester.sources); a bad
entry never stops the others."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from harvester.exceptions import SourceConfigError
from harvester.sources import PLATFORMS

SOURCES_FILE = "sources.yaml"


@dataclass(frozen=True)
class ConfigProblem:
    """A source entry that cannot be used: which one, which field, what is wrong."""

    name: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.field}: {self.message}"


def parse_source(entry: Any, index: int) -> tuple[Any | None, ConfigProblem | None]:
    """Validate one entry of the ``sources`` list."""
    name = entry.get("name") if isinstance(entry, dict) else None
    label = str(name) if name else f"sources[{index}]"
    if not isinstance(entry, dict):
        return None, ConfigProblem(label, "-", "each source must be a mapping")
    platform = next((p for p in PLATFORMS.values() if p.type == entry.get("type")), None)
    if platform is None:
        message = f"unknown type {entry.get('type')!r}; known: {', '.join(sorted(PLATFORMS))}"
        return None, ConfigProblem(label, "type", message)
    try:
        return platform.config.model_validate(entry), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "-"
        return None, ConfigProblem(label, where, first["msg"])


def load_sources(profile_dir: Path) -> tuple[list[Any], list[ConfigProblem]]:
    """All valid entries of ``<profile_dir>/sources.yaml`` and the problems of the others."""
    path = Path(profile_dir) / SOURCES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise SourceConfigError(f"no {SOURCES_FILE} in profile folder {profile_dir}") from None
    except UnicodeDecodeError as exc:
        raise SourceConfigError(
            f"{path} is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from None
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SourceConfigError(f"{path}: expected a top-level 'sources:' list")
    configs: list[Any] = []
    problems: list[ConfigProblem] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        config, problem = parse_source(entry, index)
        if problem is not None:
            problems.append(problem)
        elif config.name in names:
            problems.append(ConfigProblem(config.name, "name", "used by an earlier source"))
        else:
            names.add(config.name)
            configs.append(config)
    return configs, problems


def select_sources(
    configs: list[Any], problems: list[ConfigProblem], names: list[str] | None
) -> list[Any]:
    """The sources to harvest: the enabled ones, or exactly ``names`` (even if disabled);
    SourceConfigError for a name that is invalid in or missing from sources.yaml."""
    if not names:
        return [c for c in configs if c.enabled]
    by_name = {c.name: c for c in configs}
    broken = {p.name: p for p in problems}
    chosen = []
    for name in names:
        if name in broken:
            raise SourceConfigError(f"source {broken[name]}")
        if name not in by_name:
            raise SourceConfigError(f"no source named {name!r} in sources.yaml")
        chosen.append(by_name[name])
    return chosen
