"""One reply run: plan the replies now due, then send them (the CLI and the Prefect step)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.profile import Profile, get_profile
from config.settings import Settings, load_settings
from lapor.replies.plan import NO_ID, plan_replies, reply_sources
from lapor.replies.sender import ReplyRetry, ReplyStats, build_clients, send_replies
from store.db import get_engine, session_factory

log = logging.getLogger(__name__)


def run_replies(
    *,
    factory: sessionmaker[Session],
    profile: Profile,
    limit: int | None = None,
    concurrency: int = 4,
    timeout: float = 10.0,
    retry: ReplyRetry | None = None,
    send: bool = True,
    settings: Settings | None = None,
) -> ReplyStats:
    """Plan and (unless ``send`` is False) send; with replies off everywhere, nothing happens.
    ``settings`` gives the replies' default link (None: read from the environment now)."""
    sources = reply_sources(profile)
    planned = plan_replies(factory=factory, profile=profile, sources=sources, settings=settings)
    if not send or not sources:
        return _with_plan(ReplyStats(), planned)
    clients = build_clients(sources, timeout=timeout)
    try:
        stats = send_replies(
            factory=factory, clients=clients, retry=retry, limit=limit, concurrency=concurrency
        )
    finally:
        for client in clients.values():
            client.close()
    return _with_plan(stats, planned)


def send_due_replies(
    *,
    factory: sessionmaker[Session] | None = None,
    limit: int | None = None,
    concurrency: int = 4,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The replies step: plan the replies now due and post them under the citizens' comments,
    as the profile's replies.yaml enables (nothing happens otherwise); counts only.
    ``settings`` None: read from the environment now."""
    settings = settings or load_settings()
    stats = run_replies(
        factory=factory or session_factory(get_engine(settings.sqlalchemy_url)),
        profile=get_profile(settings.profile),
        limit=limit,
        concurrency=concurrency,
        settings=settings,
    )
    for problem in stats.problems[:5]:
        log.warning("reply: %s", problem)
    return counts(stats)


def _with_plan(stats: ReplyStats, planned: Counter[str]) -> ReplyStats:
    """The plan's figures in ``stats``: a reply made ``failed`` while planned (no comment id to
    reply under) is counted as ``not_sendable``, with its reason among the problems."""
    stats.planned = planned.total()
    stats.not_sendable = planned.get("failed", 0)
    if stats.not_sendable:
        stats.problems.insert(0, f"{stats.not_sendable} x {NO_ID}")
    return stats


def counts(stats: ReplyStats) -> dict[str, Any]:
    """The run's figures without the problem texts (safe to log and keep in Prefect)."""
    return {k: v for k, v in asdict(stats).items() if k != "problems"}
