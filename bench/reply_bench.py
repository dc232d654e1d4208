"""Replies under injected faults: N replies to the fake Graph API, which fails a share of the
reply requests BEFORE posting (500/503/429) and loses the answer of another share AFTER posting
(the connection drops). Ours: the reply outbox (lapor.replies). Baseline: a naive sender that
posts and, on any error, posts again until it gets an answer (what a script without an outbox
does). Duplicates = replies beyond the first under a comment; lost = comments that end without
exactly the recorded reply. SQLite and, when reachable, PostgreSQL.

    .venv/bin/python bench/reply_bench.py [--n 500] [--fault-rate 0.2] [--lost-rate 0.05]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import requests
from _common import Timer, emit, scratch_postgres

from config.profile import load_profile
from demo.fake_facebook import FakeGraphAPI, synthetic_page
from lapor.replies.run import run_replies
from lapor.replies.sender import ReplyRetry
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.replies import count_replies_by_state
from store.tables import Reply
from tests.lapor.replies_setup import harvest_into, reply_profile, sent_cases

TOKEN_ENV = "BENCH_FB_TOKEN"
FAST = ReplyRetry(base_s=0.02, factor=2.0, max_delay_s=0.2, max_attempts=60, jitter=0.1)
OPEN = ("approval", "pending", "sending", "unknown", "blocked")


def page_for(n: int) -> dict:
    """A synthetic page with at least ``n`` top-level citizen comments (7 of every 9 are)."""
    posts = math.ceil(n / 7) + 1
    return synthetic_page(posts * 10, comments_per_post=9)


def measure(db_url: str, fake: FakeGraphAPI, folder: Path, n: int, concurrency: int) -> dict:
    """Run the reply outbox to the end against ``fake`` (faults already set); its figures."""
    factory = session_factory(make_engine(db_url))
    entry = fake.source_entry("bench-fb", token_env=TOKEN_ENV)
    harvest_into(factory, entry)
    cases = sent_cases(factory, source="bench-fb", n=n)
    replies = {
        "policy": "auto",
        "sources": {"bench-fb": {"enabled": True, "requests_per_second": 0}},
    }
    profile = load_profile(reply_profile(folder, [entry], replies))
    rounds, seconds = 0, 0.0
    while True:
        with Timer() as t:
            run_replies(
                factory=factory, profile=profile, concurrency=concurrency, timeout=2.0, retry=FAST
            )
        seconds += t.seconds
        rounds += 1
        with factory() as session:
            states = count_replies_by_state(session=session)
        if not any(states.get(s) for s in OPEN) or rounds >= 400:
            break
        time.sleep(0.05)  # the back-off of the rows still due
    with factory() as session:
        rows = {r.target_id: r for r in session.query(Reply)}
    duplicates = lost = 0
    for _, comment_id, _ in cases:
        posted = fake.replies_to(comment_id)
        duplicates += max(0, len(posted) - 1)
        row = rows.get(comment_id)
        recorded = row is not None and row.state == "sent"
        if not recorded or not posted or row.reply_id not in {p["id"] for p in posted}:
            lost += 1
    sent = sum(r.state == "sent" for r in rows.values())
    return {
        "replies": len(cases),
        "sent": sent,
        "duplicates": duplicates,
        "lost": lost,
        "rounds": rounds,
        "seconds": seconds,
        "per_s": sent / seconds if seconds else 0.0,
        "faults_before": fake.reply_faults.injected["failed"],
        "lost_answers": fake.reply_faults.injected["lost"],
        "states": states,
    }


def naive(fake: FakeGraphAPI, targets: list[str], text: str) -> dict:
    """The baseline: POST, and on any error or no answer POST again until one is answered."""
    http = requests.Session()
    headers = {"Authorization": "Bearer bench"}
    with Timer() as t:
        for target in targets:
            for _ in range(60):
                try:
                    answer = http.post(
                        f"{fake.api_url}/{target}/comments",
                        data={"message": f"{text} {target}"},
                        headers=headers,
                        timeout=2.0,
                    )
                    if answer.status_code == 200:
                        break
                except requests.RequestException:
                    pass
    duplicates = sum(max(0, len(fake.replies_to(c)) - 1) for c in targets)
    lost = sum(not fake.replies_to(c) for c in targets)
    return {"duplicates": duplicates, "lost": lost, "per_s": len(targets) / t.seconds}


def run_backend(name: str, url: str, args: argparse.Namespace, work: Path) -> dict:
    with FakeGraphAPI(page_for(args.n)) as fake:
        fake.reply_faults.rates(fail=args.fault_rate, lost=args.lost_rate, seed=args.seed)
        ours = measure(url, fake, work / f"profile-{name}", args.n, args.concurrency)
    with FakeGraphAPI(page_for(args.n)) as fake:
        fake.reply_faults.rates(fail=args.fault_rate, lost=args.lost_rate, seed=args.seed)
        targets = [c["id"] for p in fake._posts for c in p.get("comments", [])][: args.n]
        baseline = naive(fake, targets, "Terima kasih, aduan Anda sudah kami teruskan.")
    print(
        f"{name}: ours {ours['sent']}/{ours['replies']} sent, duplicates {ours['duplicates']}, "
        f"lost {ours['lost']} ({ours['per_s']:.1f}/s, {ours['rounds']} rounds; faults before "
        f"posting {ours['faults_before']}, answers lost after posting {ours['lost_answers']}) | "
        f"naive duplicates {baseline['duplicates']}, lost {baseline['lost']} "
        f"({baseline['per_s']:.1f}/s) | speed ratio ours/naive "
        f"{ours['per_s'] / baseline['per_s']:.2f}",
        file=sys.stderr,
    )
    return {
        f"{name}_sent": ours["sent"],
        f"{name}_duplicates": ours["duplicates"],
        f"{name}_lost": ours["lost"],
        f"{name}_per_s": ours["per_s"],
        f"{name}_faults_before": ours["faults_before"],
        f"{name}_lost_answers": ours["lost_answers"],
        f"{name}_naive_duplicates": baseline["duplicates"],
        f"{name}_naive_lost": baseline["lost"],
        f"{name}_naive_per_s": baseline["per_s"],
        f"{name}_speed_ratio": ours["per_s"] / baseline["per_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--lost-rate", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    os.environ[TOKEN_ENV] = "bench-page-token"
    os.environ.setdefault("ADUAN_AUTHOR_SECRET", "bench-author-secret")
    figures: dict = {"n": args.n, "fault_rate": args.fault_rate, "lost_rate": args.lost_rate}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{work / 'bench.sqlite3'}"
            upgrade(make_engine(url))
            figures |= run_backend("sqlite", url, args, work)
        if args.backend in ("postgresql", "both"):
            with scratch_postgres() as pg_url:
                if pg_url:
                    figures |= run_backend("postgresql", pg_url, args, work)
    figures["load_1min"] = os.getloadavg()[0]
    emit(figures)


if __name__ == "__main__":
    main()
