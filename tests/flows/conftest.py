"""Fixtures of the flow tests: a small model trained on the seed corpus, a mapped test profile,
the fake Graph API and the LAPOR! simulator, and the environment an ``aduan`` process needs."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from demo.lapor_simulator import SIM_CLASSIFICATION_ID, SIM_USER_ID

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "profiles" / "kupang" / "seed"
DEMO_PAGE = REPO / "profiles" / "kupang" / "demo" / "facebook_page.json"
AUTO_FORWARD = 0.8
UNMAPPED = ("polresta", "inspektorat")  # no LAPOR! id: their cases always wait for review


def aduan_exe() -> str:
    return str(Path(sys.executable).parent / "aduan")


def prefect_exe() -> str:
    return str(Path(sys.executable).parent / "prefect")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with one champion trained on the Kupang seed corpus (seconds)."""
    from classifier.registry import Registry
    from classifier.train import train_bundle

    root = tmp_path_factory.mktemp("models")
    out = train_bundle(
        data_files=[SEED / "complaints.csv"],
        targets=["agency", "topic"],
        negatives=[SEED / "non_complaints.csv"],
        out_dir=root / "trained",
        min_class_size=5,
        validation_fraction=0,
    )
    registry = Registry(root / "registry")
    registry.promote(registry.add(out))
    return root / "registry"


def write_profile(
    folder: Path,
    *,
    graph_url: str,
    page_id: str,
    auto_forward: float = AUTO_FORWARD,
    broken_source: bool = True,
) -> Path:
    """The Kupang profile with LAPOR! ids filled (the simulator's ids) except ``UNMAPPED``, a
    lower auto-forward threshold, one facebook_page source pointing at the fake Graph API and
    (``broken_source``) one enabled source whose token is missing."""
    folder.mkdir(parents=True, exist_ok=True)
    taxonomy = yaml.safe_load((REPO / "profiles/kupang/taxonomy.yaml").read_text())
    taxonomy["lapor"].update(
        channel_id=1,
        default_location_id=301,
        user_id=SIM_USER_ID,
        classification_id=SIM_CLASSIFICATION_ID,
    )
    taxonomy["triage"]["auto_forward_threshold"] = auto_forward
    for i, agency in enumerate(taxonomy["agencies"]):
        agency["lapor_disposition_id"] = None if agency["key"] in UNMAPPED else 101 + i
    for j, topic in enumerate(taxonomy["topics"]):
        topic["lapor_category_id"] = 201 + j
    (folder / "taxonomy.yaml").write_text(yaml.safe_dump(taxonomy, allow_unicode=True))
    sources = {
        "sources": [
            {
                "name": "pemkot-kupang-fb",
                "type": "facebook_page",
                "enabled": True,
                "page_id": page_id,
                "token_env": "ADUAN_FB_TOKEN",
                "base_url": graph_url,
                "requests_per_second": 0,
                "limit": 10,
            },
            {
                "name": "disabled-feed",
                "type": "feed",
                "enabled": False,
                "url": "http://127.0.0.1:9/",
            },
        ]
    }
    if broken_source:  # enabled, but its secret is not set: it fails alone, the others go on
        sources["sources"].append(
            {
                "name": "page-without-token",
                "type": "facebook_page",
                "enabled": True,
                "page_id": "1",
                "token_env": "ADUAN_UNSET_TOKEN",
                "base_url": graph_url,
            }
        )
    (folder / "sources.yaml").write_text(yaml.safe_dump(sources))
    return folder


@pytest.fixture
def fake_graph() -> Iterator:
    from demo.fake_facebook import FakeGraphAPI

    fake = FakeGraphAPI.from_file(DEMO_PAGE).start()
    yield fake
    fake.stop()


@pytest.fixture
def world(tmp_path: Path, fake_graph, models_dir: Path, aduan_env: Path) -> Iterator[dict]:
    """Profile + fake Graph API + LAPOR! simulator + the environment of an ``aduan`` process."""
    from config.profile import load_profile
    from demo.lapor_simulator_routes import start_simulator

    profile_dir = write_profile(
        tmp_path / "profile", graph_url=fake_graph.api_url, page_id=fake_graph.page["id"]
    )
    simulator = start_simulator(load_profile(profile_dir), step_s=3600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ADUAN_"))}
    env.update(
        HOME=str(tmp_path / "user-home"),
        ADUAN_HOME=str(aduan_env),
        ADUAN_PROFILE=str(profile_dir),
        ADUAN_MODELS_DIR=str(models_dir),
        ADUAN_AUTHOR_SECRET="test-author-secret",
        ADUAN_FB_TOKEN="fake-graph-token",
        ADUAN_LAPOR_BASE_URL=simulator.url,
        ADUAN_LAPOR_API_KEY="simulator-key",
        ADUAN_LAPOR_TOKEN="simulator-token",
    )
    env.pop("DO_NOT_TRACK", None)  # `aduan` must switch telemetry off by itself
    (tmp_path / "user-home").mkdir()
    yield {
        "env": env,
        "home": aduan_env,
        "profile": profile_dir,
        "graph": fake_graph,
        "simulator": simulator,
        "db_url": f"sqlite:///{aduan_env / 'aduan.sqlite3'}",
    }
    simulator.stop()
