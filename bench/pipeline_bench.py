"""The whole pipeline on 10,000 posts from the fake Graph API: Prefect flows vs direct calls.

Both runs do the same work on their own fresh SQLite store in this process: harvest the synthetic
fake Page (posts + comments), classify with a model trained on the Kupang seed corpus, triage,
forward the auto-approved cases to the LAPOR! simulator. "direct" calls the plain functions of
flows/steps.py; "prefect" runs ``pipeline_flow`` on Prefect's embedded API (the ephemeral server
this process starts, as ``aduan run pipeline`` does). The Prefect figures are given with and
without the embedded API's start-up, which happens once per process.

    python bench/pipeline_bench.py [--posts 10000]

Targets (issue 6): overhead <= 1.2x the direct time, total <= 60 s. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import logging
import os
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
    from store.settings import reset_settings

    url = f"sqlite:///{home / name}.sqlite3"
    os.environ["ADUAN_DATABASE_URL"] = url
    reset_settings()
    get_engine(url)
    return url


def counts(url: str) -> dict:
    from store.db import get_engine, session_factory
    from store.pipeline import pipeline_counts

    with session_factory(get_engine(url))() as session:
        return pipeline_counts(session=session)


def reset_caches(memo_after_training: dict) -> None:
    """Same start for both runs: the model not loaded yet, the stemming memo as after training."""
    from classifier import stemming
    from flows import steps

    steps.load_model.cache_clear()
    stemming._MEMO.clear()
    stemming._MEMO.update(memo_after_training)


def run_direct() -> dict:
    from flows import steps

    (name,) = steps.enabled_sources()[0]
    return {
        "harvest": steps.harvest_one(name),
        "classify": steps.classify_pending(),
        "triage": steps.triage_pending(),
        "forward": steps.forward_due(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
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
    from harvester.fake_graph import FakeGraphAPI, synthetic_page
    from lapor.simulator import start_simulator
    from store.profile import load_profile
    from tests.flows.conftest import write_profile

    with Timer() as training:
        version = train_model(work / "models")
    memo = dict(stemming._MEMO)
    fake = FakeGraphAPI(synthetic_page(args.posts)).start()
    # The Kupang defaults (auto-forward at 0.95), every agency but two mapped to the simulator.
    profile_dir = write_profile(
        work / "profile",
        graph_url=fake.api_url,
        page_id=fake.page["id"],
        auto_forward=0.95,
        broken_source=False,
    )
    os.environ["ADUAN_PROFILE"] = str(profile_dir)
    simulator = start_simulator(load_profile(profile_dir), step_s=3600)
    os.environ["ADUAN_LAPOR_BASE_URL"] = simulator.url
    try:
        direct_url = use_store(home, "direct")
        reset_caches(memo)
        with Timer() as direct:
            direct_result = run_direct()
        direct_sent = len(simulator.state.complaints)

        prefect_url = use_store(home, "prefect")
        from prefect.client.orchestration import get_client

        from flows.flows import pipeline_flow

        with Timer() as startup, get_client(sync_client=True) as client:
            client.hello()
        reset_caches(memo)
        with Timer() as flow:
            state = pipeline_flow(return_state=True)
        assert state.is_completed(), state.message
        prefect_sent = len(simulator.state.complaints) - direct_sent
    finally:
        simulator.stop()
        fake.stop()

    direct_counts, prefect_counts = counts(direct_url), counts(prefect_url)
    if direct_counts != prefect_counts:
        print(f"WARNING: the runs differ: {direct_counts} vs {prefect_counts}", file=sys.stderr)
    total = startup.seconds + flow.seconds
    rows = [
        ("direct calls (flows/steps.py)", direct.seconds, 1.0),
        ("prefect pipeline_flow, embedded API warm", flow.seconds, flow.seconds / direct.seconds),
        ("prefect incl. embedded API start-up", total, total / direct.seconds),
        ("  embedded API start-up alone", startup.seconds, None),
    ]
    print(f"\n{args.posts} posts+comments (fake Graph API), model {version}")
    print(f"model training (not timed in the runs): {training.seconds:.1f} s")
    print(f"store after each run: {prefect_counts}")
    print(f"{'run':46} {'seconds':>8} {'ratio':>6}")
    for name, seconds, ratio in rows:
        print(f"{name:46} {seconds:8.2f} {'' if ratio is None else f'{ratio:6.2f}'}")
    emit(
        {
            "posts": fake.item_count,
            "stored": sum(prefect_counts["posts"].values()),
            "cases": sum(prefect_counts["cases"].values()),
            "forwarded_direct": direct_sent,
            "forwarded_prefect": prefect_sent,
            "direct_s": direct.seconds,
            "prefect_warm_s": flow.seconds,
            "prefect_startup_s": startup.seconds,
            "prefect_total_s": total,
            "overhead_warm_ratio": flow.seconds / direct.seconds,
            "overhead_total_ratio": total / direct.seconds,
            "runs_identical": direct_counts == prefect_counts,
            "direct_harvest_new": direct_result["harvest"]["new"],
        }
    )


if __name__ == "__main__":
    main()
