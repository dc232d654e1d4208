"""Errors of the flow commands: one line for the user, exit code 2.

FlowError (config.exceptions.UserError)
 ├── UnknownFlow       `aduan run NAME` with a name that is not a flow
 ├── BadSchedule       a cron expression or timezone given to `aduan serve` is not valid
 └── ServerDidNotStart the local Prefect server of `aduan serve` did not answer (see its log)
"""

from __future__ import annotations

from config.exceptions import UserError

__all__ = [
    "BadSchedule",
    "FlowError",
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
