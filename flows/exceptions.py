"""Errors of the flow commands: one line for the user, exit code 2.

FlowError (store.exceptions.UserError)
 ├── UnknownFlow       `aduan run NAME` with a name that is not a flow
 ├── BadSchedule       a cron expression or timezone given to `aduan serve` is not valid
 ├── ServerDidNotStart the local Prefect server of `aduan serve` did not answer (see its log)
 └── RetrainError      retraining or a label import cannot go ahead as asked (no labels, bad --map)
      └── RetrainBusy  another retrain holds the deployment's retrain lock
"""

from __future__ import annotations

from store.exceptions import UserError

__all__ = [
    "BadSchedule",
    "FlowError",
    "RetrainBusy",
    "RetrainError",
    "ServerDidNotStart",
    "UnknownFlow",
]


class FlowError(UserError):
    """Something about running or serving flows that the user can fix."""


class UnknownFlow(FlowError):
    """The flow name is not one of Aduan's flows."""


class BadSchedule(FlowError):
    """A cron expression or timezone is not valid."""


class ServerDidNotStart(FlowError):
    """The local Prefect server did not answer in time."""


class RetrainError(FlowError):
    """Retraining or a label import cannot go ahead as asked (one line, exit 2)."""


class RetrainBusy(RetrainError):
    """Another retrain of this deployment is running: this one trains nothing."""
