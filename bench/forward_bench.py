"""Forwards/s to the LAPOR! simulator on loopback: sequential (baseline) vs bounded concurrency.

Each forward is the full outbox path: claim (commit ``sending``), compose, POST to the simulator,
record ``sent`` + audit entry. The simulator runs in its own process (no fault injection) with
``--latency-ms`` added to every create. SQLite and, when reachable, PostgreSQL.

    .venv/bin/python bench/forward_bench.py [--n 2000] [--concurrency 8] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from _common import REPO, Timer, emit, scratch_postgres

from config.profile import load_profile
from demo.lapor_simulator import SIM_CLASSIFICATION_ID, SIM_USER_ID, reference_lists
from lapor.client import LaporClient
from lapor.mapping import auto_map, fold, write_profile_copy
from lapor.outbox import send_due
from store.db import make_engine, session_factory
from store.migrate import upgrade
from tests.lapor.conftest import outbox_rows


def start_simulator(latency_ms: float) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = (
        "from demo.lapor_simulator_routes import run_simulator; "
        f"run_simulator(port={port}, latency_ms={latency_ms}, log_level='critical')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            requests.get(f"{url}/_simulator/complaints", timeout=2)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("simulator did not start")


def mapped_profile(folder: Path):
    kupang = load_profile(REPO / "profiles" / "kupang")
    by_name: dict = {}
    for kind, rows in zip(
        ("institution", "category", "location"), reference_lists(kupang).values(), strict=True
    ):
        for row in rows:
            by_name.setdefault(kind, {}).setdefault(fold(row["name"]), []).append(str(row["id"]))
    mapping = auto_map(kupang, by_name)
    mapping.channel_id = "1"
    # the simulator's reporter account and report class (as the demo maps them)
    mapping.user_id, mapping.classification_id = str(SIM_USER_ID), str(SIM_CLASSIFICATION_ID)
    write_profile_copy(kupang, mapping, folder)
    return load_profile(folder)


def run(url: str, sim_url: str, profile, n: int, concurrency: int) -> float:
    engine = make_engine(url)
    factory = session_factory(engine)
    outbox_rows(factory, n)
    client = LaporClient(sim_url, "simulator-key", "simulator-token", timeout=30)
    with Timer() as t:
        stats = send_due(factory=factory, client=client, profile=profile, concurrency=concurrency)
    engine.dispose()
    assert stats.sent == n, stats
    return n / t.seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="forward-bench-"))
    profile = mapped_profile(scratch / "profile")
    proc, sim_url = start_simulator(args.latency_ms)
    figures: dict = {"n": args.n, "concurrency": args.concurrency, "latency_ms": args.latency_ms}
    try:
        for label in ("sequential", "concurrent"):
            path = scratch / f"{label}.sqlite3"
            engine = make_engine(f"sqlite:///{path}")
            upgrade(engine)
            engine.dispose()
            workers = 1 if label == "sequential" else args.concurrency
            figures[f"sqlite_{label}_per_s"] = run(
                f"sqlite:///{path}", sim_url, profile, args.n, workers
            )
        for label in ("sequential", "concurrent"):
            with scratch_postgres() as pg_url:
                if pg_url is None:
                    break
                workers = 1 if label == "sequential" else args.concurrency
                figures[f"postgresql_{label}_per_s"] = run(
                    pg_url, sim_url, profile, args.n, workers
                )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(
        f"{'backend':<12}{'sequential/s':>14}{f'concurrency {args.concurrency}/s':>20}{'ratio':>8}"
    )
    for backend in ("sqlite", "postgresql"):
        seq = figures.get(f"{backend}_sequential_per_s")
        con = figures.get(f"{backend}_concurrent_per_s")
        if seq and con:
            print(f"{backend:<12}{seq:>14.1f}{con:>20.1f}{con / seq:>8.2f}")
    figures["load_average_1m"] = os.getloadavg()[0]
    emit(figures)


if __name__ == "__main__":
    main()
