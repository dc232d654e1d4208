"""Errors of the store (UserError, their base, is in config.exceptions).

StoreError (UserError)
 ├── DatabaseUnreachable   cannot connect (says how to start PostgreSQL)
 ├── NotMigrated           schema missing or old (says: run `aduan db upgrade`)
 └── StaleAction           someone else changed the row first
"""

from __future__ import annotations

from config.exceptions import UserError


class StoreError(UserError):
    """The store cannot do what was asked."""


class DatabaseUnreachable(StoreError):
    """The database server does not answer."""


class NotMigrated(StoreError):
    """The database schema is not at the version this code needs."""


class StaleAction(StoreError):
    """The row was changed by someone else since it was read."""
