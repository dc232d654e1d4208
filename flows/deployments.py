"""The deployments and their schedules: one table for `aduan serve`; prefect.yaml mirrors it.

Times are cron expressions in the profile's timezone (Kupang: Asia/Makassar, WITA); a test
checks that prefect.yaml says the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefect.schedules import Cron

from flows.flows import FLOWS


@dataclass(frozen=True)
class Schedule:
    """A deployment of one flow: its name, the flow's key in ``flows.flows.FLOWS``, its cron."""

    deployment: str
    flow: str
    cron: str | None
    description: str


SCHEDULES = (
    Schedule("aduan-pipeline", "pipeline", "*/15 * * * *", "harvest, classify, triage, forward"),
    Schedule("aduan-forward", "forward", "*/5 * * * *", "send the LAPOR! outbox"),
    Schedule("aduan-status", "status", "7 * * * *", "LAPOR! status sync, hourly"),
    Schedule("aduan-retrain", "retrain", "0 2 * * 0", "train a challenger, Sundays 02:00"),
)


def build_deployments(
    timezone: str,
    crons: dict[str, str | None] | None = None,
    *,
    only: set[str] | None = None,
    parameters: dict[str, Any] | None = None,
) -> list:
    """Runner deployments for ``prefect.serve`` (``crons`` overrides a flow's cron; None/"" =
    unscheduled, run on demand; ``parameters``, e.g. ``profile``, for every flow run)."""
    crons = crons or {}
    out = []
    for item in SCHEDULES:
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
