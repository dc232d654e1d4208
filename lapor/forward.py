"""The forward step: the LAPOR!/Open311 outbox rows that are due, then the pending reroutes."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.profile import get_profile
from config.settings import Settings, load_settings
from lapor import DEFAULT_CONCURRENCY
from lapor.outbox import configured_targets, send_due
from lapor.reroute import send_pending_reroutes
from store.db import get_engine, session_factory

log = logging.getLogger(__name__)


def forward_due(
    *,
    factory: sessionmaker[Session] | None = None,
    limit: int | None = None,
    concurrency: int | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Send the outbox rows that are due to LAPOR! and to the profile's Open311 target, if any
    (lapor.outbox.send_due, ``concurrency`` requests in flight), then the facilitators' requests
    to pass sent cases to another agency (lapor.reroute.send_pending_reroutes); counts, and the
    first problems (what blocked or failed a row: ids and reasons, never post text).
    ``settings`` None: read from the environment now."""
    settings = settings or load_settings()
    client, extra = configured_targets(settings)
    factory = factory or session_factory(get_engine(settings.sqlalchemy_url))
    profile = get_profile(settings.profile)
    stats = send_due(
        factory=factory,
        client=client,
        extra_targets=extra,
        profile=profile,
        limit=limit,
        concurrency=concurrency or DEFAULT_CONCURRENCY,
    )
    result: dict[str, Any] = {**counts(stats), "problems": stats.problems[:20]}
    if client is not None:
        rerouted = send_pending_reroutes(factory=factory, client=client, profile=profile)
        for problem in rerouted.problems[:5]:
            log.warning("reroute: %s", problem)
        result.update({f"reroutes_{k}": v for k, v in counts(rerouted).items()})
        result["reroutes_problems"] = rerouted.problems[:20]
    return result


def counts(stats: Any) -> dict[str, Any]:
    """A run's figures (a stats dataclass) without its problem texts: safe to log and keep."""
    return {
        k: v
        for k, v in dataclasses.asdict(stats).items()
        if isinstance(v, int | float | str | bool | type(None))
    }
