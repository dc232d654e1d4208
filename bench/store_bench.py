"""Bulk post upsert vs the naive loop (one session.add + commit per post), SQLite and PostgreSQL.

Ours: 100,000 posts in pages of 1,000 (10% of them already stored), one transaction per page.
Baseline: the naive loop on a 5,000-post sample, extrapolated to posts/s.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from _common import Timer, emit, scratch_postgres

from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.repository import content_hash, upsert_posts
from store.tables import PostRow
from tests.factories import make_post

N = 100_000
PAGE = 1_000
NAIVE_N = 5_000


def workload() -> list:
    """N posts, 10% of which repeat an earlier one (as overlapping harvests do)."""
    rng = random.Random(0)
    unique = [make_post(i) for i in range(int(N * 0.9))]
    return unique + rng.sample(unique, N - len(unique))


def ours(url: str, posts: list) -> float:
    factory = session_factory(make_engine(url))
    with Timer() as t:
        for start in range(0, len(posts), PAGE):
            with factory.begin() as session:
                upsert_posts(session=session, posts=posts[start : start + PAGE])
    return len(posts) / t.seconds


def naive(url: str, posts: list) -> float:
    factory = session_factory(make_engine(url))
    with Timer() as t:
        for p in posts:
            with factory() as session:
                session.add(
                    PostRow(
                        source=p.source,
                        external_id=p.external_id + "-naive",
                        url=p.url,
                        author_ref=p.author_ref,
                        text=p.text,
                        content_hash=content_hash(p.text),
                        created_at=p.created_at,
                        fetched_at=p.fetched_at,
                        raw=p.raw,
                    )
                )
                session.commit()
    return len(posts) / t.seconds


def main() -> None:
    posts = workload()
    figures: dict = {"n_posts": N}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(make_engine(url))
        figures["sqlite_posts_per_s"] = ours(url, posts)
        figures["sqlite_naive_posts_per_s"] = naive(url, posts[:NAIVE_N])
        figures["speedup_sqlite"] = (
            figures["sqlite_posts_per_s"] / figures["sqlite_naive_posts_per_s"]
        )
    with scratch_postgres() as pg:
        if pg:
            figures["postgresql_posts_per_s"] = ours(pg, posts)
            figures["postgresql_naive_posts_per_s"] = naive(pg, posts[:NAIVE_N])
            figures["speedup_postgresql"] = (
                figures["postgresql_posts_per_s"] / figures["postgresql_naive_posts_per_s"]
            )
    print(f"{'backend':<12}{'ours posts/s':>14}{'naive posts/s':>15}{'ratio':>8}")
    for backend in ("sqlite", "postgresql"):
        if f"{backend}_posts_per_s" in figures:
            print(
                f"{backend:<12}{figures[f'{backend}_posts_per_s']:>14,.0f}"
                f"{figures[f'{backend}_naive_posts_per_s']:>15,.0f}"
                f"{figures[f'speedup_{backend}']:>7.1f}x"
            )
    emit(figures)


if __name__ == "__main__":
    main()
