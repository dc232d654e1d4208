"""Errors of the LAPOR! (and Open311) forwarding: what failed and what to do about it.

LaporError (config.exceptions.UserError)   one line for the user, exit code 2
 ├── LaporConfigError        base URL or a secret missing/invalid (names the ADUAN_* variable)
 ├── MappingMissing          an agency/topic has no LAPOR! id in the profile: nothing is sent
 ├── ReconcileError          a forward cannot be reconciled that way (no such row, no id)
 │    └── ReconcileStateError  its state does not allow it (``state``, ``allowed``)
 └── LaporApiError           LAPOR! answered with an error, or did not answer
      ├── AuthRejected       401/403: key or token wrong; the run stops, nothing is retried
      ├── NotFound           404: unknown complaint id, or a wrong base URL
      ├── ValidationFailed   400/422: ``field_errors`` {field: [messages]}; will not pass as is
      ├── Throttled          429: ``retry_after`` seconds; retried later
      ├── ServerError        5xx/connection failure known NOT to have taken effect; retried later
      └── AmbiguousOutcome   the request may have reached LAPOR! (timeout, dropped connection,
                             5xx after sending, 2xx without an id): never resent automatically
"""

from __future__ import annotations

from config.exceptions import UserError

__all__ = [
    "AmbiguousOutcome",
    "AuthRejected",
    "LaporApiError",
    "LaporConfigError",
    "LaporError",
    "MappingMissing",
    "NotFound",
    "ReconcileError",
    "ReconcileStateError",
    "ServerError",
    "Throttled",
    "ValidationFailed",
]


class LaporError(UserError):
    """Something about forwarding to LAPOR! (or Open311) that the user can act on."""


class LaporConfigError(LaporError):
    """A LAPOR!/Open311 setting is missing or invalid."""


class MappingMissing(LaporError):
    """The profile lacks a LAPOR! id needed to send this case (see ``aduan lapor check``)."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            "missing mapping: " + "; ".join(self.missing) + " (run `aduan lapor check`)"
        )


class ReconcileError(LaporError):
    """The requested reconciliation does not fit the forward's state."""


class ReconcileStateError(ReconcileError):
    """The forward's state is not one that settlement may change (the review app names both)."""

    def __init__(self, *, forward_id: int, state: str, allowed: tuple[str, ...]) -> None:
        super().__init__(
            f"forward {forward_id} is {state}; only {'/'.join(allowed)} can be reconciled that way"
        )
        self.state, self.allowed = state, tuple(allowed)


class LaporApiError(LaporError):
    """An error answer (or none) from the API; carries the HTTP status and a short body excerpt."""

    def __init__(
        self, message: str, *, status_code: int | None = None, response_text: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.response_text = (response_text or "")[:500]


class AuthRejected(LaporApiError):
    """The gateway key or the LAPOR! token was rejected (check ADUAN_LAPOR_API_KEY/TOKEN)."""


class NotFound(LaporApiError):
    """The resource does not exist (or ADUAN_LAPOR_BASE_URL points to the wrong place)."""


class ValidationFailed(LaporApiError):
    """LAPOR! refused the fields; ``field_errors`` holds its messages per field."""

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None, **kw):
        super().__init__(message, **kw)
        self.field_errors = field_errors or {}


class Throttled(LaporApiError):
    """Too many requests; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(LaporApiError):
    """LAPOR! failed in a way known not to have created anything; safe to retry later."""


class AmbiguousOutcome(LaporApiError):
    """The request may have been processed: a human must check before anything is resent."""
