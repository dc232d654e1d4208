"""`aduan demo --no-serve` end to end, and the default model on complaints it has never seen."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from store.tables import Case, Forward, PostRow

REPO = Path(__file__).resolve().parents[2]


def run_demo(home: Path) -> dict:
    env = {**os.environ, "ADUAN_HOME": str(home)}
    for name in ("ADUAN_DATABASE_URL", "ADUAN_PROFILE", "ADUAN_MODELS_DIR", "PREFECT_API_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from flows.cli import main; main()",
            "demo",
            "--no-serve",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo-home")
    first = run_demo(home)
    second = run_demo(home)  # twice in a row: a fresh store, the model reused
    return home, first, second


def test_demo_stores_classifies_forwards_queues_and_archives(demo_runs):
    home, first, _ = demo_runs
    engine = create_engine(f"sqlite:///{home / 'demo' / 'aduan.sqlite3'}")
    with engine.connect() as conn:
        posts = conn.execute(select(PostRow.state)).scalars().all()
        cases = conn.execute(select(Case.state)).scalars().all()
        forwards = conn.execute(select(Forward.state, Forward.complaint_id)).all()
    assert len(posts) >= 200 and "new" not in posts and "classified" not in posts
    assert posts.count("archived") >= 50, "non-complaints are archived"
    assert posts.count("in_case") >= 50, "complaints are grouped into cases"
    assert "open" in cases, "the less confident complaints wait in the review queue"
    sent = [cid for state, cid in forwards if state == "sent"]
    assert sent and all(sent), "confident complaints reach the simulator with a LAPOR! id"
    assert first["user"] and first["password"]


def test_demo_runs_twice_reusing_the_model(demo_runs):
    _, first, second = demo_runs
    assert first["model_trained"] is True
    assert second["model_trained"] is False
    assert second["model_version"] == first["model_version"]
    assert second["store"] == first["store"]
