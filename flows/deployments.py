"""The deployments and their schedules, read from ``flows/prefect.yaml``: ``prefect deploy`` and
``aduan serve`` serve the one table (crons in the profile's timezone, Kupang: Asia/Makassar)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DEPLOYMENTS_FILE = Path(__file__).with_name("prefect.yaml")
PREFIX = "aduan-"  # deployment aduan-<key> runs the flow <key> of flows.flows.FLOWS


@dataclass(frozen=True)
class Schedule:
    """A deployment of one flow: its name, the flow's key in ``flows.flows.FLOWS``, its cron."""

    deployment: str
    flow: str
    cron: str | None
    description: str


@cache
def deployments_spec() -> dict:
    """``flows/prefect.yaml`` as Prefect reads it (anchors and merge keys resolved)."""
    return yaml.safe_load(DEPLOYMENTS_FILE.read_text(encoding="utf-8"))


def schedules() -> tuple[Schedule, ...]:
    """Every deployment of ``flows/prefect.yaml`` with its first cron (None: on demand only)."""
    out = []
    for entry in deployments_spec()["deployments"]:
        crons = [item["cron"] for item in entry.get("schedules") or []]
        out.append(
            Schedule(
                deployment=entry["name"],
                flow=entry["name"].removeprefix(PREFIX),
                cron=crons[0] if crons else None,
                description=entry.get("description", ""),
            )
        )
    return tuple(out)


def privacy_env() -> dict[str, str]:
    """Prefect's private defaults (``definitions.privacy``): no telemetry, no result persistence."""
    return {
        name: str(value) for name, value in deployments_spec()["definitions"]["privacy"].items()
    }


def build_deployments(
    timezone: str,
    crons: dict[str, str | None] | None = None,
    *,
    only: set[str] | None = None,
    parameters: dict[str, Any] | None = None,
) -> list:
    """Runner deployments for ``prefect.serve`` (``crons`` overrides a flow's cron; None/"" =
    unscheduled, run on demand; ``parameters``, e.g. ``profile``, for every flow run). Prefect is
    imported here: flows.env reads this module's table before prefect may be imported."""
    from prefect.schedules import Cron

    from flows.flows import FLOWS

    crons = crons or {}
    out = []
    for item in schedules():
        if only is not None and item.flow not in only:
            continue
        cron = crons.get(item.flow, item.cron)
        out.append(
            FLOWS[item.flow].to_deployment(
                name=item.deployment,
                schedules=[Cron(cron, timezone=timezone)] if cron else [],
                description=item.description,
                tags=["aduan"],
                parameters=dict(parameters or {}),
            )
        )
    return out
