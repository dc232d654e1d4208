"""The whole pipeline on 10,000 posts from the fake Graph API: Prefect flows vs direct calls.

Both runs do the same work on their own fresh SQLite store in this process: harvest the synthetic
fake Page (posts + comments), classify with a model trained on the Kupang seed corpus, triage,
forward the auto-approved cases to the LAPOR! simulator. "direct" calls the step functions the
tasks call; "prefect" runs ``pipeline_flow`` on Prefect's embedded API (the ephemeral server
this process starts, as ``aduan run pipeline`` does). The Prefect figures are given with and
without the embedded API's start-up, which happens once per process: on a fresh PREFECT_HOME
(first run on a machine: Prefect creates its database) and, measured in a child process afterwards,
on the existing one (every later ``aduan run``; ``aduan serve`` keeps its server up and pays none).

    python bench/pipeline_bench.py [--posts 10000] [--repeat 2] [--auto-forward 0.87]

Each kind runs --repeat times (alternating order, fresh stores, same caches); the best time of
each is compared. Targets (issue 6): overhead <= 1.2x the direct time, total <= 60 s.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import REPO, Timer, emit

SEED = REPO / "profiles" / "kupang" / "seed"


def train_model(models: Path) -> str:
    from classifier.registry import Registry
    from classifier.train import train_bundle

    out = train_bundle(
        data_files=[SEED / "complaints.csv"],
        targets=["agency", "topic"],
        negatives=[SEED / "non_complaints.csv"],
        out_dir=models.parent / "trained",
        min_class_size=5,
        validation_fraction=0,
    )
    registry = Registry(models)
    version = registry.add(out)
    registry.promote(version)
    return version


def use_store(home: Path, name: str) -> str:
    """Point the settings at a fresh SQLite store ``name`` and create its schema."""
    from store.db import get_engine

    url = f"sqlite:///{home / name}.sqlite3"
    os.environ["ADUAN_DATABASE_URL"] = url
    get_engine(url)
    return url


def counts(url: str) -> dict:
    from store.db import get_engine, session_factory
    from store.pipeline import pipeline_counts

    with session_factory(get_engine(url))() as session:
        return pipeline_counts(session=session)


def reset_caches(memo_after_training: dict) -> None:
    """Same start for both runs: the model not loaded yet, the stemming memo as after training."""
    from cases import scoring
    from classifier import stemming

    scoring.load_model.cache_clear()
    stemming._MEMO.clear()
    stemming._MEMO.update(memo_after_training)


def run_direct() -> dict:
    from cases import scoring, triage
    from harvester.run import enabled_sources, harvest_one
    from lapor.forward import forward_due

    (name,) = enabled_sources()[0]
    return {
        "harvest": harvest_one(name),
        "classify": scoring.classify_pending(),
        "triage": triage.triage_pending().as_dict(),
        "forward": forward_due(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2, help="Alternating runs of each kind.")
    parser.add_argument("--auto-forward", type=float, default=0.87)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    work = Path(tempfile.mkdtemp(prefix="aduan-pipeline-bench-"))
    home = work / "home"
    os.environ.update(
        ADUAN_HOME=str(home),
        ADUAN_MODELS_DIR=str(work / "models"),
        ADUAN_AUTHOR_SECRET="bench",
        ADUAN_FB_TOKEN="fake-token",
        ADUAN_LAPOR_API_KEY="simulator-key",
        ADUAN_LAPOR_TOKEN="simulator-token",
        PREFECT_LOGGING_LEVEL=os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
    )
    os.environ.pop("PREFECT_API_URL", None)
    from flows.env import configure_prefect

    configure_prefect(home)  # before prefect is imported: telemetry off, PREFECT_HOME in home

    sys.path.insert(0, str(REPO))
    from classifier import stemming
    from config.profile import load_profile
    from demo.fake_facebook import FakeGraphAPI, synthetic_page
    from demo.lapor_simulator_routes import start_simulator
    from tests.flows.conftest import write_profile

    with Timer() as training:
        version = train_model(work / "models")
    memo = dict(stemming._MEMO)
    fake = FakeGraphAPI(synthetic_page(args.posts)).start()
    # Every agency but two mapped to the simulator; the auto-forward threshold is set so that a
    # share of the cases is forwarded (this seed model's confidences on the synthetic comments
    # are 0.84-0.88, below the Kupang default of 0.95).
    profile_dir = write_profile(
        work / "profile",
        graph_url=fake.api_url,
        page_id=fake.page["id"],
        auto_forward=args.auto_forward,
        broken_source=False,
    )
    os.environ["ADUAN_PROFILE"] = str(profile_dir)
    simulator = start_simulator(load_profile(profile_dir), step_s=3600)
    os.environ["ADUAN_LAPOR_BASE_URL"] = simulator.url
    times: dict[str, list[float]] = {"direct": [], "prefect": []}
    sent: dict[str, list[int]] = {"direct": [], "prefect": []}
    stores: dict[str, list[dict]] = {"direct": [], "prefect": []}
    try:
        from prefect.client.orchestration import get_client

        from flows.flows import pipeline_flow

        with Timer() as startup, get_client(sync_client=True) as client:
            client.hello()  # the embedded API starts once per process
        for rep in range(args.repeat):
            order = ("direct", "prefect") if rep % 2 == 0 else ("prefect", "direct")
            for kind in order:
                url = use_store(home, f"{kind}{rep}")
                reset_caches(memo)
                before = len(simulator.state.complaints)
                with Timer() as timer:
                    if kind == "direct":
                        run_direct()
                    else:
                        state = pipeline_flow(return_state=True)
                        assert state.is_completed(), state.message
                times[kind].append(timer.seconds)
                sent[kind].append(len(simulator.state.complaints) - before)
                stores[kind].append(counts(url))
        restart = startup_in_child()
    finally:
        simulator.stop()
        fake.stop()

    identical = all(c == stores["direct"][0] for c in stores["direct"] + stores["prefect"])
    if not identical:
        print(f"WARNING: the runs differ: {stores}", file=sys.stderr)
    direct, flow = min(times["direct"]), min(times["prefect"])
    total = startup.seconds + flow
    rows = [
        ("direct calls (step functions)", direct, 1.0),
        ("prefect pipeline_flow, embedded API warm", flow, flow / direct),
        ("prefect incl. embedded API start-up", total, total / direct),
        ("  embedded API start-up, fresh PREFECT_HOME", startup.seconds, None),
        ("prefect incl. start-up on an existing home", flow + restart, (flow + restart) / direct),
        ("  embedded API start-up, existing PREFECT_HOME", restart, None),
    ]
    print(f"\n{args.posts} posts+comments (fake Graph API), model {version}")
    print(f"model training (not timed in the runs): {training.seconds:.1f} s")
    print(f"store after each run: {stores['prefect'][0]}")
    print(f"all times (s): {times}")
    print(f"{'run (best of ' + str(args.repeat) + ')':46} {'seconds':>8} {'ratio':>6}")
    for name, seconds, ratio in rows:
        print(f"{name:46} {seconds:8.2f} {'' if ratio is None else f'{ratio:6.2f}'}")
    emit(
        {
            "posts": fake.item_count,
            "stored": sum(stores["prefect"][0]["posts"].values()),
            "cases": sum(stores["prefect"][0]["cases"].values()),
            "forwarded_per_run": sent["prefect"][0],
            "forwarded_same_in_all_runs": len(set(sent["direct"] + sent["prefect"])) == 1,
            "runs_identical": identical,
            "repeat": args.repeat,
            "direct_s": direct,
            "prefect_warm_s": flow,
            "prefect_startup_s": startup.seconds,
            "prefect_total_s": total,
            "overhead_warm_ratio": flow / direct,
            "overhead_total_ratio": total / direct,
            "prefect_startup_existing_home_s": restart,
            "overhead_total_existing_home_ratio": (flow + restart) / direct,
        }
    )


def startup_in_child() -> float:
    """Seconds for a new process to start the embedded API on the PREFECT_HOME now in place."""

    code = (
        "import time\n"
        "from prefect.client.orchestration import get_client\n"
        "start = time.perf_counter()\n"
        "with get_client(sync_client=True) as client:\n"
        "    client.hello()\n"
        "print(time.perf_counter() - start)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    return float(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
