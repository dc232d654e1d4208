"""The pipeline's steps as plain functions: the Prefect flows wrap them; tests and notebooks too.

"Remove the decorators and the code still works": nothing here imports Prefect. Every step
returns counts (a dict of ints/strings), never post text, so the results are safe to log and to
keep in Prefect's database.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


def store_factory() -> sessionmaker[Session]:
    """A sessionmaker on the configured store (ADUAN_DATABASE_URL or the SQLite file in home)."""
    from store.db import session_factory

    return session_factory()


# -- retrain -------------------------------------------------------------------------------------
def retrain() -> dict[str, Any]:
    """Train a challenger and promote it if the profile's rules hold (flows.retrain.retrain)."""
    from flows.exceptions import RetrainBusy
    from flows.retrain import retrain as retrain_loop

    try:
        result = retrain_loop(factory=store_factory()).as_dict()
    except RetrainBusy as exc:  # the other run does the work: this one is a no-op, not a failure
        log.warning("retrain skipped: %s", exc)
        return {"version": None, "promoted": False, "reasons": [str(exc)], "skipped": True}
    log.info("retrain: challenger %s, promoted: %s", result["version"], result["promoted"])
    return {key: result.get(key) for key in ("version", "promoted", "reasons", "champion_version")}
