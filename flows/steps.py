"""The pipeline's steps as plain functions: the Prefect flows wrap them; tests and notebooks too.

"Remove the decorators and the code still works": nothing here imports Prefect. Every step
returns counts (a dict of ints/strings), never post text, so the results are safe to log and to
keep in Prefect's database.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


def store_factory() -> sessionmaker[Session]:
    """A sessionmaker on the configured store (ADUAN_DATABASE_URL or the SQLite file in home)."""
    from store.db import session_factory

    return session_factory()


def _counts(result: Any) -> dict[str, Any]:
    """A step result (dataclass, object or dict) as a plain dict of its public fields."""
    if dataclasses.is_dataclass(result):
        data = dataclasses.asdict(result)
    elif isinstance(result, dict):
        data = dict(result)
    else:
        data = {k: v for k, v in vars(result).items() if not k.startswith("_")}
    return {k: v for k, v in data.items() if isinstance(v, int | float | str | bool | type(None))}


# -- harvest -------------------------------------------------------------------------------------
def enabled_sources(profile_dir: Path | None = None) -> tuple[list[str], list[str]]:
    """Names of the enabled sources in the profile's sources.yaml, and the config problems."""
    from harvester.config import load_sources
    from store.settings import get_settings

    configs, problems = load_sources(Path(profile_dir or get_settings().profile))
    return [c.name for c in configs if c.enabled], [str(p) for p in problems]


def harvest_one(
    name: str,
    *,
    factory: sessionmaker[Session] | None = None,
    profile_dir: Path | None = None,
    max_pages: int | None = None,
) -> dict[str, Any]:
    """Harvest one source by name from its stored cursor; a source error comes back in ``error``."""
    from harvester.config import load_sources
    from harvester.exceptions import SourceConfigError
    from harvester.http import PoliteSession, user_agent
    from harvester.run import harvest_source
    from harvester.sources import build_source
    from store.deployment_keys import author_key_for_store
    from store.profile import get_profile
    from store.settings import get_settings

    settings = get_settings()
    folder = Path(profile_dir or settings.profile)
    configs, _ = load_sources(folder)
    config = next((c for c in configs if c.name == name), None)
    if config is None:
        raise LookupError(f"no valid source named {name!r} in {folder}/sources.yaml")
    factory = factory or store_factory()
    key = author_key_for_store(factory=factory, settings=settings)  # one key per deployment
    with PoliteSession(user_agent=user_agent(get_profile(folder).contact)) as http:
        try:
            source = build_source(config, http=http, author_key=key)
        except SourceConfigError as exc:  # e.g. its token is not set: retrying will not help
            log.error("source %s not harvested: %s", name, exc)
            return {
                "source": name,
                "pages": 0,
                "seen": 0,
                "new": 0,
                "duplicates": 0,
                "skipped": 0,
                "error": str(exc),
            }
        result = harvest_source(source, factory=factory, max_pages=max_pages)
    counts = {
        "source": result.source,
        "pages": result.pages,
        "seen": result.seen,
        "new": result.new,
        "duplicates": result.duplicates,
        "skipped": result.skipped,
        "refused": result.refused,
        "error": result.error,
    }
    log.info("harvest %s: %d new of %d seen", name, result.new, result.seen)
    if result.refused:
        log.warning(
            "harvest %s: %d posts refused by the database (ids on its cursor)", name, result.refused
        )
    return counts


# -- LAPOR! --------------------------------------------------------------------------------------
def forward_due(
    *,
    factory: sessionmaker[Session] | None = None,
    limit: int | None = None,
    concurrency: int | None = None,
) -> dict[str, Any]:
    """Send the outbox rows that are due to LAPOR! and to the profile's Open311 target, if any
    (lapor.outbox.send_due, ``concurrency`` requests in flight), then the facilitators' requests
    to pass sent cases to another agency (lapor.reroute.send_pending_reroutes)."""
    from lapor import DEFAULT_CONCURRENCY
    from lapor.outbox import configured_targets, send_due
    from lapor.reroute import send_pending_reroutes
    from store.profile import get_profile

    client, extra = configured_targets()
    factory = factory or store_factory()
    profile = get_profile()
    stats = send_due(
        factory=factory,
        client=client,
        extra_targets=extra,
        profile=profile,
        limit=limit,
        concurrency=concurrency or DEFAULT_CONCURRENCY,
    )
    result = _counts(stats)
    if client is not None:
        rerouted = send_pending_reroutes(factory=factory, client=client, profile=profile)
        for problem in rerouted.problems[:5]:
            log.warning("reroute: %s", problem)
        result.update({f"reroutes_{k}": v for k, v in _counts(rerouted).items()})
    return result


def sync_status(
    *, factory: sessionmaker[Session] | None = None, limit: int | None = None
) -> dict[str, Any]:
    """Poll LAPOR! (and Open311) for the status of forwarded complaints that are not final."""
    from lapor.outbox import configured_targets
    from lapor.status import sync_status as sync

    client, extra = configured_targets()
    stats = sync(
        factory=factory or store_factory(), client=client, limit=limit, extra_sources=extra
    )
    return _counts(stats)


# -- replies to citizens -------------------------------------------------------------------------
def send_replies(
    *,
    factory: sessionmaker[Session] | None = None,
    limit: int | None = None,
    concurrency: int = 4,
) -> dict[str, Any]:
    """Plan the replies now due and post them under the citizens' comments (lapor.replies);
    nothing happens unless the profile's replies.yaml enables a source."""
    from lapor.replies.run import counts, run_replies
    from store.profile import get_profile

    stats = run_replies(
        factory=factory or store_factory(),
        profile=get_profile(),
        limit=limit,
        concurrency=concurrency,
    )
    for problem in stats.problems[:5]:
        log.warning("reply: %s", problem)
    return counts(stats)
