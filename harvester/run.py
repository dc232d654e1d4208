"""Harvest one source or many: plain functions (no Prefect, no SQL) the CLI and flows call.

``harvest_source`` stores each page with its cursor through ``store.repository.ingest_pages`` and
turns a source's failure (token expired, layout changed, throttled beyond the limit, ...) into a
``SourceResult`` with the error, recorded on the source's cursor row; ``harvest_all`` carries on
with the other sources.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harvester.exceptions import HarvestError, SourceConfigError
from harvester.http import PoliteSession
from harvester.sources import Page, Source, build_source

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
    from store.exceptions import UserError

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
