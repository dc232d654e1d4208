"""What a platform's answer to a reply means for the outbox.

ReplyError (config.exceptions.UserError)
 ├── ReplyConfigError    replies.yaml names a source that cannot be replied to, or no token
 └── ReplyApiError       the platform refused or did not answer
      ├── ReplyThrottled     429, Graph 4/17/32/613, YouTube rate/quota: NOTHING was posted;
      │                      retried with back-off (``retry_after`` when the platform says)
      ├── ReplyUncertain     timeout, dropped connection, 5xx: it MAY be posted; the thread is
      │                      read before any resend
      ├── ReplyGone          the citizen's comment no longer exists: recorded, never retried
      ├── ReplyNotPermitted  a permission/scope is missing or the token is invalid
      │                      (``permission`` names it); the source stops for this run
      └── ReplyRefused       any other refusal (4xx): failed with the platform's message
"""

from __future__ import annotations

from config.exceptions import UserError


class ReplyError(UserError):
    """Something about replies that a person can act on."""


class ReplyConfigError(ReplyError):
    """replies.yaml and sources.yaml do not fit together."""


class ReplyApiError(ReplyError):
    """A platform's error answer (or none)."""


class ReplyThrottled(ReplyApiError):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ReplyUncertain(ReplyApiError):
    """The reply may have been posted."""


class ReplyGone(ReplyApiError):
    """The comment to reply under was deleted."""


class ReplyNotPermitted(ReplyApiError):
    def __init__(self, message: str, *, permission: str) -> None:
        super().__init__(message)
        self.permission = permission


class ReplyRefused(ReplyApiError):
    """Refused for a reason retrying will not fix."""
