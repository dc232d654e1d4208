"""Errors of the retraining loop and the label import: one line for the user, exit code 2.

RetrainError (config.exceptions.UserError)  a retrain or label import cannot go ahead as asked
 └── RetrainBusy                           another retrain holds the deployment's retrain lock
"""

from __future__ import annotations

from config.exceptions import UserError

__all__ = ["RetrainBusy", "RetrainError"]


class RetrainError(UserError):
    """Retraining or a label import cannot go ahead as asked (no labels, bad --map)."""


class RetrainBusy(RetrainError):
    """Another retrain of this deployment is running: this one trains nothing."""
