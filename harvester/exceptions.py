"""Errors of the harvester.

HarvestError              (user_error: the CLI prints one line, exit 2)
 └── InvalidPost          a Post failed validation (names the field)
"""

from __future__ import annotations


class HarvestError(Exception):
    """Something in harvesting failed in a way the user can act on."""

    user_error = True


class InvalidPost(HarvestError, ValueError):
    """A Post's fields are not valid."""
