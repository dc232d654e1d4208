"""Another city's office labels mapped onto a profile's agency keys, so real labelled data from
elsewhere can measure or teach a profile's model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from classifier.exceptions import DataError
from classifier.routing import LocalOffices

__all__ = ["AgencyMap", "load_agency_map"]


# A map is a YAML file beside the profile, e.g. ``profiles/kupang/agency_map_surabaya.yaml``.
@dataclass(frozen=True)
class AgencyMap:
    """``key(label)``: the profile agency key for an office label, None when unmapped."""

    agencies: Mapping[str, str]
    unmapped: frozenset[str]
    local_offices: LocalOffices | None
    local_agency: str | None

    def key(self, label: str | None) -> str | None:
        label = (label or "").strip()
        if not label:
            return None
        if self.local_offices is not None and self.local_offices.parse(label):
            return self.local_agency
        return self.agencies.get(label)

    def unknown(self, labels: Iterable[str]) -> set[str]:
        """Labels neither mapped nor declared unmapped (the map needs a line for them)."""
        return {lab for lab in labels if lab and self.key(lab) is None and lab not in self.unmapped}

    def check_keys(self, agency_keys: Iterable[str]) -> None:
        known = set(agency_keys)
        targets = set(self.agencies.values())
        if self.local_agency:
            targets.add(self.local_agency)
        bad = sorted(targets - known)
        if bad:
            raise DataError(f"agency map names agency keys the profile lacks: {', '.join(bad)}")


def load_agency_map(path: Path) -> AgencyMap:
    """Read an agency map YAML (see the Kupang one for the shape)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise DataError(f"agency map not found: {path}") from None
    except yaml.YAMLError as exc:
        raise DataError(f"{path} is not valid YAML: {exc}") from None
    agencies = data.get("agencies") or {}
    if not isinstance(agencies, dict):
        raise DataError(f"{path}: `agencies` must map office labels to agency keys")
    local = data.get("local_offices")
    return AgencyMap(
        agencies={str(k): str(v) for k, v in agencies.items()},
        unmapped=frozenset(str(x) for x in data.get("unmapped") or []),
        local_offices=LocalOffices(dict(local)) if local else None,
        local_agency=data.get("local_agency"),
    )
