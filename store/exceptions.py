"""Errors of the store, and the base every user-facing error in Aduan derives from.

UserError                 one clear line for the user, exit code 2, no traceback
 ├── ConfigError          a setting is wrong (names the ADUAN_* variable)
 └── StoreError
      ├── DatabaseUnreachable   cannot connect (says how to start PostgreSQL)
      ├── NotMigrated           schema missing or old (says: run `aduan db upgrade`)
      └── StaleAction           someone else changed the row first
"""

from __future__ import annotations


class UserError(Exception):
    """An error the user can fix; the CLI prints its message on one line and exits with 2."""

    user_error = True


class ConfigError(UserError):
    """A setting or profile file is wrong."""


class StoreError(UserError):
    """The store cannot do what was asked."""


class DatabaseUnreachable(StoreError):
    """The database server does not answer."""


class NotMigrated(StoreError):
    """The database schema is not at the version this code needs."""


class StaleAction(StoreError):
    """The row was changed by someone else since it was read."""
