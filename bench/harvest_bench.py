"""Harvest N posts+comments from the local fake Graph API into SQLite and PostgreSQL.

Ours: ``harvest_source`` with the polite session (keep-alive, no rate limit towards the local fake)
and one transaction per page. Baseline: the naive way, ``requests.get`` without a session and one
post stored per transaction. Each measurement runs in a child process of its own, so its peak
memory (``ru_maxrss``) is its own; the growth is measured from just before the harvest. The fake
server runs in another process. Usage: ``python bench/harvest_bench.py [--sizes 10000 50000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import REPO, Timer, emit, scratch_postgres

SOURCE = "bench-fb"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, url: str, api_url: str, page_id: str, expected: int, trace: bool) -> None:
    """One measurement (runs in its own process): prints one JSON line."""
    import tracemalloc

    from store.db import make_engine, session_factory
    from store.migrate import upgrade
    from store.repository import count_posts

    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    harvest = _ours if mode == "ours" else _naive
    before = _rss_mb()
    if trace:
        tracemalloc.start()
    with Timer() as timer:
        harvest(factory, api_url, page_id)
    peak_traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    with factory() as session:
        stored = count_posts(session=session, source=SOURCE)
    engine.dispose()
    if stored != expected:
        raise SystemExit(f"{mode}: stored {stored} posts, expected {expected}")
    result = {
        "seconds": timer.seconds,
        "posts": stored,
        "rss_before_mb": before,
        "rss_peak_mb": _rss_mb(),
        "traced_peak_mb": peak_traced,
    }
    print(json.dumps(result))  # noqa: T201


def _config(api_url: str, page_id: str):
    from harvester.config import parse_source

    os.environ["BENCH_FB_TOKEN"] = "fake-token"
    entry = dict(
        name=SOURCE,
        type="facebook_page",
        page_id=page_id,
        base_url=api_url,
        token_env="BENCH_FB_TOKEN",
        limit=100,
        requests_per_second=0,
    )
    config, problem = parse_source(entry, 0)
    assert problem is None, problem
    return config


def _ours(factory, api_url: str, page_id: str) -> None:
    from harvester.http import PoliteSession
    from harvester.run import harvest_source
    from harvester.sources import build_source

    with PoliteSession(min_interval=0) as http:
        source = build_source(_config(api_url, page_id), http=http, author_key=b"bench-key")
        result = harvest_source(source, factory=factory)
    if result.error:
        raise SystemExit(result.error)


def _naive(factory, api_url: str, page_id: str) -> None:
    """requests.get without a session; every post in a transaction of its own."""
    import requests

    from harvester.sources.base import utcnow
    from harvester.sources.facebook import COMMENT_FIELDS, FEED_FIELDS, parse_comments, parse_feed
    from store.repository import upsert_posts

    headers = {"Authorization": "Bearer fake-token"}
    key = b"bench-key"
    params = {"fields": FEED_FIELDS, "limit": 100}
    while True:
        feed = requests.get(f"{api_url}/{page_id}/feed", params=params, headers=headers).json()
        for post in parse_feed(feed, source=SOURCE, key=key, fetched_at=utcnow()):
            comments = requests.get(
                f"{api_url}/{post.external_id}/comments",
                params={"fields": COMMENT_FIELDS, "filter": "stream", "limit": 100},
                headers=headers,
            ).json()
            items = [
                post,
                *parse_comments(
                    comments, post_id=post.external_id, source=SOURCE, key=key, fetched_at=utcnow()
                ),
            ]
            for item in items:
                with factory() as session, session.begin():
                    upsert_posts(session=session, posts=[item])
        after = (feed.get("paging") or {}).get("cursors", {}).get("after")
        if not (feed.get("paging") or {}).get("next"):
            return
        params = {**params, "after": after}


def start_fake(n: int) -> tuple[subprocess.Popen, str, str, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo.fake_facebook", "--synthetic", str(n)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().split()
    fields = dict(part.split("=") for part in line[1:])
    return proc, line[0], fields["page_id"], int(fields["items"])


def run_child(mode: str, url: str, fake: tuple, trace: bool = False) -> dict:
    _, api_url, page_id, items = fake
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, url, api_url, page_id, str(items)]
        + (["--trace"] if trace else []),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} on {url.split(':')[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument(
        "--baseline-size",
        type=int,
        default=10_000,
        help="N for the naive baseline (one transaction per post is slow)",
    )
    args = parser.parse_args()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp, scratch_postgres() as pg_url:
        backends = {"sqlite": None, "postgresql": pg_url}
        for n in sorted(set(args.sizes) | {args.baseline_size}):
            fake = start_fake(n)
            try:
                for backend, pg in backends.items():
                    if backend == "postgresql" and pg is None:
                        continue
                    modes = ["ours"] + (["naive"] if n == args.baseline_size else [])
                    for mode in modes:
                        if n not in args.sizes and mode == "ours":
                            continue
                        url = pg or f"sqlite:///{Path(tmp) / f'{mode}-{n}.sqlite3'}"
                        if pg:
                            _truncate(pg)
                        r = run_child(mode, url, fake)
                        rows.append(
                            {
                                "backend": backend,
                                "mode": mode,
                                "n": r["posts"],
                                "posts_per_s": r["posts"] / r["seconds"],
                                "rss_growth_mb": r["rss_peak_mb"] - r["rss_before_mb"],
                                "rss_peak_mb": r["rss_peak_mb"],
                            }
                        )
                if n in args.sizes:
                    url = f"sqlite:///{Path(tmp) / f'trace-{n}.sqlite3'}"
                    traced = run_child("ours", url, fake, trace=True)
                    rows.append(
                        {
                            "backend": "sqlite",
                            "mode": "ours+tracemalloc",
                            "n": n,
                            "posts_per_s": None,
                            "traced_peak_mb": traced["traced_peak_mb"],
                        }
                    )
            finally:
                fake[0].terminate()
                fake[0].wait()
    _report(rows)


def _truncate(url: str) -> None:
    from sqlalchemy import text

    from store.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE posts, harvest_cursors RESTART IDENTITY CASCADE"))
    engine.dispose()


def _report(rows: list[dict]) -> None:
    print(
        f"{'backend':<11} {'mode':<17} {'N':>7} {'posts/s':>9} {'RSS growth MB':>14} "  # noqa: T201
        f"{'RSS peak MB':>12} {'traced peak MB':>15}"
    )
    for r in rows:
        rate = f"{r['posts_per_s']:.0f}" if r.get("posts_per_s") else "-"
        growth = f"{r['rss_growth_mb']:.1f}" if "rss_growth_mb" in r else "-"
        peak = f"{r['rss_peak_mb']:.1f}" if "rss_peak_mb" in r else "-"
        traced = f"{r['traced_peak_mb']:.1f}" if r.get("traced_peak_mb") else "-"
        print(
            f"{r['backend']:<11} {r['mode']:<17} {r['n']:>7} {rate:>9} {growth:>14} "  # noqa: T201
            f"{peak:>12} {traced:>15}"
        )
    figures: dict = {}
    for r in rows:
        stem = f"{r['backend']}_{r['mode'].replace('+tracemalloc', '')}_{r['n']}"
        if r.get("posts_per_s"):
            figures[f"{stem}_posts_per_s"] = r["posts_per_s"]
            figures[f"{stem}_rss_growth_mb"] = r["rss_growth_mb"]
        if r.get("traced_peak_mb"):
            figures[f"{stem}_traced_peak_mb"] = r["traced_peak_mb"]
    for backend in ("sqlite", "postgresql"):
        ours = [r for r in rows if r["backend"] == backend and r["mode"] == "ours"]
        naive = [r for r in rows if r["backend"] == backend and r["mode"] == "naive"]
        same = [(o, b) for o in ours for b in naive if o["n"] == b["n"]]
        if same:
            figures[f"{backend}_speedup_vs_naive"] = (
                same[0][0]["posts_per_s"] / same[0][1]["posts_per_s"]
            )
    emit(figures)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.path.insert(0, str(REPO))
        mode, url, api_url, page_id, expected = sys.argv[2:7]
        child(mode, url, api_url, page_id, int(expected), trace="--trace" in sys.argv)
    else:
        main()
