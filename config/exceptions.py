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
    """An error the user can fix; the CLI prints its message on one line and exits with 2."""

    user_error = True


class ConfigError(UserError):
    """A setting or profile file is wrong."""
