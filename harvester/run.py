"""Harvest one source or many: plain functions (no Prefect, no SQL) the CLI and flows call."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config.exceptions import ConfigError, UserError
from config.profile import get_profile
from config.settings import Settings, load_settings
from harvester.config import load_sources, select_sources
from harvester.exceptions import HarvestError, SourceConfigError
from harvester.http import PoliteSession, user_agent
from harvester.sources import Page, Source, build_source
from store.db import get_engine, session_factory
from store.deployment_keys import author_key_for_store

log = logging.getLogger(__name__)


@dataclass
class SourceResult:
    """What one source's harvest did."""

    source: str
    pages: int = 0
    seen: int = 0
    new: int = 0
    skipped: int = 0  # malformed items left out while parsing (each logged with its position)
    refused: int = 0  # posts the database would not store (named on the source's cursor row)
    error: str | None = None
    seconds: float = 0.0

    @property
    def duplicates(self) -> int:
        return self.seen - self.new

    @property
    def ok(self) -> bool:
        return self.error is None


def _limited(pages: Iterator[Page], max_pages: int | None) -> Iterable[Page]:
    return pages if max_pages is None else itertools.islice(pages, max_pages)


def _counting_skips(pages: Iterable[Page], result: SourceResult) -> Iterator[Page]:
    for page in pages:
        result.skipped += getattr(page, "skipped", 0)
        yield page


# ``harvest_source`` stores each page with its cursor through ``store.repository.ingest_pages`` and
# turns a source's failure (token expired, layout changed, throttled beyond the limit, ...) into a
# ``SourceResult`` with the error, recorded on the source's cursor row; ``harvest_all`` carries on
# with the other sources. ``harvest_one`` is the pipeline's harvest step (one source by name).
def harvest_source(
    source: Source,
    *,
    factory: Any,
    since: datetime | None = None,
    max_pages: int | None = None,
    on_page: Callable[[Any], None] | None = None,
) -> SourceResult:
    """Fetch ``source`` from its stored cursor and store page after page (cursor included).

    A source error stops this source and comes back in ``SourceResult.error``; pages stored
    before it stay stored and the cursor points just after them.
    """
    from store.repository import get_cursor, ingest_pages, record_source_error

    result = SourceResult(source=source.name)
    started = time.perf_counter()
    with factory() as session:
        cursor = get_cursor(session=session, source=source.name)

    def counted(stats: Any) -> None:
        result.pages, result.seen, result.new = stats.pages, stats.seen, stats.new
        result.refused = stats.refused
        if on_page is not None:
            on_page(stats)

    try:
        pages = _counting_skips(_limited(source.fetch(cursor, since=since), max_pages), result)
        ingest_pages(factory=factory, source=source.name, pages=pages, on_page=counted)
    except HarvestError as exc:
        result.error = str(exc)
        log.error("source %s stopped: %s", source.name, exc)
    except Exception as exc:
        if _is_store_error(exc):
            raise  # the store itself is failing: no other source would do better
        # A response shaped in a way no parser expected: stop this source, keep the others.
        result.error = f"{source.name}: unexpected {type(exc).__name__}: {exc}"
        log.exception("source %s stopped on an unexpected error", source.name)
    if result.skipped:
        log.warning("source %s: %d malformed items skipped", source.name, result.skipped)
    if result.error is not None:
        with factory() as session, session.begin():
            record_source_error(session=session, source=source.name, error=result.error)
    result.seconds = time.perf_counter() - started
    return result


def _is_store_error(exc: BaseException) -> bool:
    return isinstance(exc, UserError) or type(exc).__module__.startswith("sqlalchemy")


def harvest_all(
    configs: Iterable[Any],
    *,
    factory: Any,
    http: PoliteSession,
    author_key: bytes,
    since: datetime | None = None,
    max_pages: int | None = None,
    on_start: Callable[[str], None] | None = None,
    on_page: Callable[[str, Any], None] | None = None,
) -> list[SourceResult]:
    """Harvest every config in turn; one source's failure never stops the others."""
    results = []
    for config in configs:
        if on_start is not None:
            on_start(config.name)
        try:
            source = build_source(config, http=http, author_key=author_key)
        except SourceConfigError as exc:
            results.append(SourceResult(source=config.name, error=str(exc)))
            continue
        callback = (lambda stats, name=config.name: on_page(name, stats)) if on_page else None
        results.append(
            harvest_source(
                source, factory=factory, since=since, max_pages=max_pages, on_page=callback
            )
        )
    return results


def enabled_sources(
    profile_dir: Path | None = None,
    names: list[str] | None = None,
    *,
    settings: Settings | None = None,
) -> tuple[list[str], list[str]]:
    """Names of the sources to harvest (the enabled ones, or exactly ``names``, even if disabled;
    SourceConfigError for a name that is invalid or missing) and the sources.yaml problems, of
    ``profile_dir`` (default: ``settings.profile``; no settings: read from the environment now)."""
    folder = profile_dir or (settings or load_settings()).profile
    configs, problems = load_sources(Path(folder))
    chosen = select_sources(configs, problems, names)
    return [c.name for c in chosen], [str(p) for p in problems]


def harvest_one(
    name: str,
    *,
    factory: sessionmaker[Session] | None = None,
    profile_dir: Path | None = None,
    max_pages: int | None = None,
    since: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Harvest one source by name from its stored cursor (or from ``since``); a source error
    comes back in ``error``. ``settings`` None: read from the environment now."""
    settings = settings or load_settings()
    folder = Path(profile_dir or settings.profile)
    configs, _ = load_sources(folder)
    config = next((c for c in configs if c.name == name), None)
    if config is None:
        raise LookupError(f"no valid source named {name!r} in {folder}/sources.yaml")
    factory = factory or session_factory(get_engine(settings.sqlalchemy_url))
    key = author_key_for_store(factory=factory, settings=settings)  # one key per deployment
    try:
        contact = get_profile(folder).contact
    except ConfigError:  # a sources-only folder: the user agent names no contact
        contact = None
    with PoliteSession(user_agent=user_agent(contact)) as http:
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
                "refused": 0,
                "error": str(exc),
                "seconds": 0.0,
            }
        result = harvest_source(source, factory=factory, max_pages=max_pages, since=since)
    counts = {
        "source": result.source,
        "pages": result.pages,
        "seen": result.seen,
        "new": result.new,
        "duplicates": result.duplicates,
        "skipped": result.skipped,
        "refused": result.refused,
        "error": result.error,
        "seconds": round(result.seconds, 1),
    }
    log.info("harvest %s: %d new of %d seen", name, result.new, result.seen)
    if result.refused:
        log.warning(
            "harvest %s: %d posts refused by the database (ids on its cursor)", name, result.refused
        )
    return counts
