"""Load on the review app: 50 facilitators browsing the queue and deciding distinct cases.

The app runs as `aduan review serve --workers N` (uvicorn) on a scratch PostgreSQL database holding
20,000 open cases. Each simulated facilitator has its own httpx.AsyncClient (cookies), logs in
through the login form (CSRF token from the page), then until the time is up: opens the queue
(a random page, sometimes filtered), opens its next case, and accepts, corrects or rejects it with
the CSRF token and the case version from that page (then follows the redirect back to the queue).
Facilitator i only decides cases with id % 50 == i, so the cases acted on are distinct.

Afterwards the database is checked: every decision the clients saw succeed is recorded exactly
once (one review, one audit entry, one outbox row per accepted/corrected case, none for rejected).
The static stylesheet is fetched now and then as the floor (the server's cost without the app).

    .venv/bin/python bench/review_load.py [--users 50] [--seconds 60] [--cases 20000] [--think 2]
                                          [--workers 2]

``--think`` is the pause before each step (open the queue, open a case, decide): 2 s is a brisk
facilitator (reading a complaint takes longer); 0.5 s is a stress test. The app server's CPU per
request is printed too: unlike latency it does not depend on what else the machine is running.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from _common import REPO, Timer, emit, scratch_postgres

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
PASSWORD = "bench-password-123"
AGENCIES = ["dlhk", "pupr", "pln", "perumda_air", "dinkes", "dishub", "dukcapil", "satpolpp"]
TOPICS = ["sampah", "jalan_rusak", "listrik", "air_bersih", "puskesmas_rumah_sakit"]


def seed(url: str, n_cases: int, n_users: int) -> None:
    """``n_cases`` open cases (one post and one classification each) and the accounts."""
    from sqlalchemy import insert, select, text, update

    from review.auth import hash_password
    from store.db import make_engine, session_factory
    from store.repository import upsert_posts
    from store.tables import Case, Classification, PostRow
    from store.users import create_user
    from tests.factories import make_post

    rng = random.Random(7)
    engine = make_engine(url)
    factory = session_factory(engine)
    t0 = datetime.now(UTC) - timedelta(days=40)
    with factory.begin() as session:
        upsert_posts(
            session=session,
            posts=(
                make_post(i, source=f"src-{i % 5}", created_at=t0 + timedelta(minutes=3 * i))
                for i in range(n_cases)
            ),
        )
        posts = session.execute(select(PostRow.id, PostRow.created_at).order_by(PostRow.id)).all()
        cases, classifications = [], []
        for post_id, created in posts:
            agency, topic = rng.choice(AGENCIES), rng.choice(TOPICS)
            confidence = round(rng.uniform(0.3, 0.99), 3)
            cases.append(
                dict(
                    state="open",
                    agency=agency,
                    topic=topic,
                    agency_confidence=confidence,
                    topic_confidence=confidence,
                    urgency=rng.choice([1, 1, 1, 2, 3]),
                    representative_post_id=post_id,
                    first_post_at=created,
                    version=1,
                )
            )
            alternatives = {
                "agency": [[agency, confidence], ["dlhk", 0.1]],
                "topic": [[topic, 0.5]],
            }
            classifications.append(
                dict(
                    post_id=post_id,
                    model_version="bench",
                    relevance=0.9,
                    agency=agency,
                    agency_confidence=confidence,
                    topic=topic,
                    topic_confidence=confidence,
                    alternatives=alternatives,
                )
            )
        session.execute(insert(Case), cases)
        session.execute(insert(Classification), classifications)
        pairs = session.execute(select(Case.id, Case.representative_post_id)).all()
        session.execute(
            update(PostRow),
            [{"id": post_id, "case_id": case_id, "state": "in_case"} for case_id, post_id in pairs],
        )
        password_hash = hash_password(PASSWORD)  # one real scrypt hash shared by the accounts
        for i in range(n_users):
            create_user(
                session=session,
                name=f"fasil{i:02d}",
                role="facilitator",
                password_hash=password_hash,
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # as autovacuum would after a bulk load
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int, home: str, workers: int) -> subprocess.Popen:
    env = dict(os.environ, ADUAN_DATABASE_URL=url, ADUAN_HOME=home, ADUAN_LOG_LEVEL="WARNING")
    aduan = [sys.executable, "-c", "from cli.main import main; main()"]
    server = subprocess.Popen(
        [*aduan, "review", "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import httpx

    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return server
        except httpx.HTTPError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()) from None
            time.sleep(0.1)
    raise RuntimeError("review app did not start")


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.decided: dict[int, str] = {}


async def timed(stats: Stats, kind: str, call, expect: int):
    start = time.perf_counter()
    try:
        response = await call
    except Exception as exc:  # counted, reported, never hidden
        stats.errors[f"{kind}: {type(exc).__name__}"] += 1
        return None
    stats.latency[kind].append(time.perf_counter() - start)
    if response.status_code != expect:
        stats.errors[f"{kind}: HTTP {response.status_code}"] += 1
        return None
    return response


async def log_in(client, i: int, stats: Stats) -> bool:
    """The login form, as a browser fills it (CSRF token from the page)."""
    page = await timed(stats, "login page", client.get("/login"), 200)
    if page is None:
        return False
    csrf = CSRF.search(page.text).group(1)
    form = {"username": f"fasil{i:02d}", "password": PASSWORD, "csrf_token": csrf}
    return await timed(stats, "login", client.post("/login", data=form), 303) is not None


async def facilitator(i, client, n_users, n_cases, deadline, think, stats, rng) -> None:
    mine = iter(range(i + 1, n_cases + 1, n_users))
    await asyncio.sleep(rng.uniform(0, 2 * think))  # people do not all click at the same instant
    while time.monotonic() < deadline:
        query = {"page": rng.randint(1, 5)}
        if rng.random() < 0.3:
            query["agency"] = rng.choice(AGENCIES)
        await timed(stats, "queue", client.get("/", params=query), 200)
        if rng.random() < 0.1:
            await timed(stats, "static css (floor)", client.get("/static/aduan.css"), 200)
        await asyncio.sleep(think)
        case_id = next(mine, None)
        if case_id is None or time.monotonic() >= deadline:
            continue
        page = await timed(stats, "case page", client.get(f"/cases/{case_id}"), 200)
        if page is None:
            continue
        await asyncio.sleep(think)
        action = rng.choices(["accept", "correct", "reject"], [6, 2, 2])[0]
        data = {
            "csrf_token": CSRF.search(page.text).group(1),
            "version": VERSION.search(page.text).group(1),
            "next": "/",
        }
        if action == "correct":
            data |= {"agency": "pupr", "topic": "drainase_banjir"}
        done = await timed(
            stats, "action", client.post(f"/cases/{case_id}/{action}", data=data), 303
        )
        if done is None:
            continue
        stats.decided[case_id] = action
        if "aduan_flash" not in done.headers.get("set-cookie", ""):
            stats.errors["action: no message"] += 1
        queue = await timed(stats, "queue (after action)", client.get("/"), 200)
        if queue is not None and ("tidak diubah" in queue.text or "sibuk" in queue.text):
            stats.errors["action: refused"] += 1
            stats.decided.pop(case_id)
        await asyncio.sleep(think)


def verify(url: str, decided: dict[int, str]) -> dict[str, int]:
    """Compare what the clients saw with the database: every decision exactly once."""
    from sqlalchemy import func, select

    from store.db import make_engine, session_factory
    from store.tables import AuditEntry, Case, Forward, Review

    engine = make_engine(url)
    with session_factory(engine)() as session:
        reviews = Counter(session.scalars(select(Review.case_id)))
        audits = Counter(
            int(x)
            for x in session.scalars(
                select(AuditEntry.object_id).where(AuditEntry.object_type == "case")
            )
        )
        forwards = Counter(session.scalars(select(Forward.case_id)))
        states = dict(
            session.execute(select(Case.id, Case.state).where(Case.state != "open")).all()
        )
        labels = session.scalar(select(func.count()).select_from(Review)) or 0
    engine.dispose()
    expected_state = {"accept": "approved", "correct": "approved", "reject": "rejected"}
    problems = Counter()
    for case_id, action in decided.items():
        problems["review count != 1"] += reviews[case_id] != 1
        problems["audit count != 1"] += audits[case_id] != 1
        problems["forward count wrong"] += forwards[case_id] != (action != "reject")
        problems["state wrong"] += states.get(case_id) != expected_state[action]
    problems["decided but not seen by a client"] = len(set(states) - set(decided))
    return {"reviews": labels, **{k: v for k, v in problems.items()}}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def server_cpu_s(server: subprocess.Popen) -> float:
    """CPU seconds used so far by the server process and its workers."""
    import psutil

    root = psutil.Process(server.pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


async def run(base, users, seconds, n_cases, think) -> tuple[Stats, Stats, float]:
    """Log everyone in (timed apart), then browse and decide for ``seconds``."""
    import httpx

    logins, stats = Stats(), Stats()
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(users)]
    try:
        await asyncio.gather(*(log_in(c, i, logins) for i, c in enumerate(clients)))
        deadline = time.monotonic() + seconds
        with Timer() as t:
            await asyncio.gather(
                *(
                    facilitator(i, c, users, n_cases, deadline, think, stats, random.Random(i))
                    for i, c in enumerate(clients)
                )
            )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return logins, stats, t.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--think", type=float, default=2.0, help="pause between requests (s)")
    args = parser.parse_args()
    with scratch_postgres() as url, tempfile.TemporaryDirectory() as home:
        if url is None:
            sys.exit("PostgreSQL is needed for this benchmark")
        with Timer() as seeding:
            seed(url, args.cases, args.users)
        print(f"seeded {args.cases} cases and {args.users} accounts in {seeding.seconds:.1f} s")
        port = free_port()
        server = start_server(url, port, home, args.workers)
        try:
            cpu_before, client_before = server_cpu_s(server), time.process_time()
            logins, stats, elapsed = asyncio.run(
                run(f"http://127.0.0.1:{port}", args.users, args.seconds, args.cases, args.think)
            )
            server_cpu = server_cpu_s(server) - cpu_before
            client_cpu = time.process_time() - client_before
        finally:
            server.terminate()
            server.wait(timeout=30)
        checks = verify(url, stats.decided)

    every = [x for values in stats.latency.values() for x in values]
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average (1 min) at the end {load:.1f}")
    login_times = logins.latency.get("login", [])
    print(
        f"logins (before the timed run, scrypt): {len(login_times)}, "
        f"p50 {pct(login_times, 0.5):.0f} ms, errors {sum(logins.errors.values())}"
    )
    print(
        f"\n{args.users} facilitators, {elapsed:.0f} s, think {args.think} s, {args.cases} cases, "
        f"{args.workers} uvicorn worker(s)"
    )
    print(f"{'request':24} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, values in sorted(stats.latency.items()):
        print(
            f"{kind:24} {len(values):7d} {pct(values, 0.5):8.1f} {pct(values, 0.95):8.1f} "
            f"{max(values) * 1000:8.1f}"
        )
    print(f"{'all':24} {len(every):7d} {pct(every, 0.5):8.1f} {pct(every, 0.95):8.1f}")
    errors = sum(stats.errors.values()) + sum(logins.errors.values())
    print(f"requests/s {len(every) / elapsed:.1f}; decisions {len(stats.decided)}; errors {errors}")
    n_logins = len(logins.latency.get("login", [])) + len(logins.latency.get("login page", []))
    cpu_ms = server_cpu * 1000 / max(1, len(every) + n_logins)
    print(f"app server CPU: {server_cpu:.1f} s in all, {cpu_ms:.1f} ms per request (incl. logins)")
    print(f"load generator CPU: {client_cpu:.1f} s")
    for name, n in (stats.errors + logins.errors).items():
        print(f"  error {name}: {n}")
    wrong = {k: v for k, v in checks.items() if k != "reviews" and v}
    print("every decision recorded exactly once" if not wrong else f"RECORDING PROBLEMS {wrong}")
    action = stats.latency.get("action", [])
    emit(
        {
            "users": args.users,
            "seconds": round(elapsed, 1),
            "think_s": args.think,
            "workers": args.workers,
            "cases": args.cases,
            "requests": len(every),
            "requests_per_s": len(every) / elapsed,
            "p50_ms": pct(every, 0.5),
            "p95_ms": pct(every, 0.95),
            "queue_p95_ms": pct(stats.latency.get("queue", []), 0.95),
            "action_p95_ms": pct(action, 0.95),
            "decisions": len(stats.decided),
            "errors": errors,
            "recorded_exactly_once": not wrong,
            "p95_target_met": pct(every, 0.95) <= 200,
            "server_cpu_ms_per_request": cpu_ms,
            "cpus": os.cpu_count(),
            "load_avg_1m": load,
        }
    )


if __name__ == "__main__":
    main()
