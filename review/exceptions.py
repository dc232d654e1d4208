"""Errors of the review app's command line.

ReviewError            a review command cannot do what was asked (exit 2, one line)
"""

from __future__ import annotations

from config.exceptions import UserError


class ReviewError(UserError):
    """A review or users command was given something it cannot use."""
