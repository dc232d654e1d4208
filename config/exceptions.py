"""Configuration's error, and the base every user-facing error in Aduan derives from.

UserError                 one clear line for the user, exit code 2, no traceback
 ├── ConfigError          a setting or profile file is wrong (names the ADUAN_* variable or file)
 ├── StoreError           store.exceptions
 ├── LaporError           lapor.exceptions
 ├── ReplyError           lapor.replies.errors
 ├── ReviewError          review.exceptions
 ├── RetrainError         training.exceptions
 └── FlowError            flows.exceptions
"""

from __future__ import annotations


class UserError(Exception):
    """An error the user can fix; the CLI prints its message on one line and exits with 2.

    ``pesan`` is the same reason in Indonesian, for errors a facilitator can meet in the review
    app (which shows it; see ``facilitator_message``); None where only the CLI meets the error.
    """

    user_error = True

    def __init__(self, message: str = "", *, pesan: str | None = None) -> None:
        super().__init__(message)
        self.pesan = pesan


def facilitator_message(exc: UserError) -> str:
    """What the review app shows for ``exc``: its Indonesian ``pesan``, else its message."""
    return exc.pesan or str(exc)


class ConfigError(UserError):
    """A setting or profile file is wrong."""
