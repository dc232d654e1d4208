"""A Prefect server (SQLite, then PostgreSQL backend) with a process work pool and a worker:
deploy from flows/prefect.yaml, trigger the pipeline, kill its flow run mid-harvest, rerun, check
the store: nothing lost, nothing duplicated. Also classify_flow on a local Dask cluster."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import create_engine, func, select, text

from store.db import make_engine, session_factory
from store.tables import Case, Classification, Forward, PostRow
from tests.conftest import POSTGRES_URL, need
from tests.flows.conftest import REPO, free_port, prefect_exe

POOL = "aduan-process"
DEPLOYMENT = "pipeline/aduan-pipeline"
START_TIMEOUT_S = 300
RUN_TIMEOUT_S = 600


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prefect server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"prefect server not healthy after {START_TIMEOUT_S}s: {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def prefect_server(request, tmp_path_factory) -> Iterator[dict]:
    """``prefect server start`` on a free port with its own PREFECT_HOME and database."""
    home = tmp_path_factory.mktemp(f"prefect-server-{request.param}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
    )
    scratch = None
    if request.param == "postgresql":
        try:
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                scratch = f"prefect_test_{uuid.uuid4().hex[:8]}"
                conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        except Exception:
            need(f"PostgreSQL is not reachable at {POSTGRES_URL}")
        url = admin.url.set(drivername="postgresql+asyncpg", database=scratch)
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = url.render_as_string(hide_password=False)
    port = free_port()
    log = home / "server.log"
    proc = subprocess.Popen(
        [prefect_exe(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait_healthy(api, proc, log)
        yield {"api": api, "backend": request.param}
    finally:
        _stop(proc)
        if scratch:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            admin.dispose()


def _prefect(args: list[str], env: dict, timeout: int = 300) -> str:
    done = subprocess.run(
        [prefect_exe(), "--no-prompt", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"prefect {args}: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    return done.stdout


def _client(api: str):
    from prefect.client.orchestration import SyncPrefectClient

    return SyncPrefectClient(api)


def _wait_state(api: str, run_id, done, timeout: float = RUN_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    with _client(api) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            if done(run.state):
                return run.state
            time.sleep(2)
    pytest.fail(f"flow run {run_id} still {run.state.name} after {timeout}s")


def _post_count(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(PostRow.__table__)).scalar()
    except Exception:  # the schema may not exist yet
        return 0
    finally:
        engine.dispose()


def _flow_run_processes(worker: subprocess.Popen) -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process(worker.pid).children(recursive=True)
        if any("prefect.engine" in part or "flow_run" in part for part in p.cmdline())
    ]


def test_deployed_pipeline_killed_and_rerun_on_a_worker(prefect_server, world, tmp_path):
    api = prefect_server["api"]
    env = {
        **world["env"],
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(tmp_path / "pf-client"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    _prefect(["work-pool", "create", POOL, "--type", "process", "--overwrite"], env)
    out = _prefect(
        ["deploy", "--prefect-file", "flows/prefect.yaml", "--name", "aduan-pipeline"], env
    )
    assert "aduan-pipeline" in out
    with _client(api) as client:
        deployment = client.read_deployment_by_name(DEPLOYMENT)
        assert [s.schedule.cron for s in deployment.schedules] == ["*/15 * * * *"]
        assert [s.schedule.timezone for s in deployment.schedules] == ["Asia/Makassar"]
        for schedule in deployment.schedules:  # only the runs this test triggers
            client.update_deployment_schedule(deployment.id, schedule.id, active=False)
    worker_log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [prefect_exe(), "worker", "start", "--pool", POOL, "--type", "process", "--limit", "1"],
        env=env,
        cwd=REPO,
        stdout=worker_log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    graph = world["graph"]
    try:
        # 1. a slow Graph API; kill the flow run's process once the first pages are stored
        graph.delay = 0.4
        with _client(api) as client:
            first = client.create_flow_run_from_deployment(deployment.id)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while _post_count(world["db_url"]) == 0:
            assert time.monotonic() < deadline, worker_log.read_text()[-3000:]
            time.sleep(0.5)
        victims = _flow_run_processes(worker)
        assert victims, worker_log.read_text()[-3000:]
        for process in victims:
            process.kill()
        killed_at = _post_count(world["db_url"])
        assert 0 < killed_at < graph.item_count
        state = _wait_state(api, first.id, lambda s: s.is_final())
        assert not state.is_completed()

        # 2. rerun at full speed: completes and finishes the work, nothing lost or duplicated
        graph.delay = 0.0
        with _client(api) as client:
            second = client.create_flow_run_from_deployment(deployment.id)
        state = _wait_state(api, second.id, lambda s: s.is_final())
        assert state.is_completed(), worker_log.read_text()[-3000:]
    finally:
        _stop(worker)

    engine = make_engine(world["db_url"])
    with session_factory(engine)() as session:
        external_ids = list(session.scalars(select(PostRow.external_id)))
        states = set(session.scalars(select(PostRow.state)))
        classified = session.scalar(select(func.count(func.distinct(Classification.post_id))))
        approved = session.scalar(select(func.count()).where(Case.state == "approved"))
        forwards = session.scalars(select(Forward)).all()
    engine.dispose()
    assert len(external_ids) == len(set(external_ids)) == graph.item_count
    assert classified == graph.item_count
    assert states <= {"archived", "in_case", "publisher"}
    assert approved > 0 and len(forwards) == approved
    assert {f.state for f in forwards} == {"sent"}
    assert len(world["simulator"].state.complaints) == approved


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_classify_flow_on_a_local_dask_cluster(prefect_server, models_dir, engine, monkeypatch):
    if prefect_server["backend"] != "sqlite":
        pytest.skip("one Dask run is enough")
    from distributed import Client, LocalCluster
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from cases import scoring
    from store.repository import upsert_posts
    from tests.factories import make_post

    factory = session_factory(engine)
    with factory() as session, session.begin():
        upsert_posts(session=session, posts=[make_post(i) for i in range(1200)])
    monkeypatch.setenv("ADUAN_MODELS_DIR", str(models_dir))
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        monkeypatch.setenv("ADUAN_DASK_ADDRESS", cluster.scheduler_address)
        from flows.flows import classify_flow

        with temporary_settings({PREFECT_API_URL: prefect_server["api"]}):
            state = classify_flow(batch_size=200, return_state=True)
        assert state.is_completed(), state.message
        result = state.result()
        with Client(cluster) as client:
            loaded = client.run(lambda: scoring.load_model.cache_info().currsize)
    assert result["batches"] == 6 and result["classified"] == 1200
    assert len(loaded) == 2 and any(loaded.values())  # the batches ran on the Dask workers
    with factory() as session:
        assert session.scalar(select(func.count()).where(PostRow.state == "new")) == 0
        assert session.scalar(select(func.count(Classification.id))) == 1200
