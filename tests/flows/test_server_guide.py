"""docs/running.md "Running on a Prefect server with workers", run as written: the guide's bash
blocks (marked ``<!-- guide:NAME -->``) are executed verbatim, with only the values of its
environment blocks replaced by this test's (a server on 127.0.0.1, PostgreSQL, the fake Graph
API, the LAPOR! simulator). Server, pool, deployments, automation, two workers with --limit 1,
two triggered pipeline runs; the machine running the first is killed mid-harvest (worker and
flow run, SIGKILL). The zombie automation marks that run Crashed, the second run then completes
on the other worker; every post is stored once and every approved case reaches LAPOR! once."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import create_engine, func, select, text

from config.profile import load_profile
from demo.lapor_simulator_routes import start_simulator
from store.db import make_engine, session_factory
from store.tables import Case, Classification, Forward, PostRow
from tests.conftest import POSTGRES_URL, need
from tests.flows.conftest import REPO, free_port, prefect_exe, write_profile
from tests.flows.test_server import _post_count, _stop

pytestmark = pytest.mark.server

GUIDE = REPO / "docs" / "running.md"
SECTION = "## Running on a Prefect server with workers"
AUTH = "aduan:guide-test-password"
TIMEOUT_S = 600
# Optional in the guide's worker block (sources this test's profile does not enable).
UNUSED_TOKENS = ("ADUAN_X_TOKEN", "ADUAN_YOUTUBE_KEY", "ADUAN_IG_TOKEN")


def guide_blocks() -> dict[str, str]:
    """The guide's marked bash blocks by name."""
    section = GUIDE.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"<!-- guide:([\w-]+) -->\n```bash\n(.*?)```", section, re.S)
    return dict(found)


def _assignments(line: str) -> dict[str, str] | None:
    """``export A=1 B=2`` / ``A=1`` (a line of assignments only): their names and values."""
    words = shlex.split(line, comments=True)
    if words[:1] == ["export"]:
        words = words[1:]
    if not words or not all(re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", w) for w in words):
        return None
    return dict(w.split("=", 1) for w in words)


def script(block: str, values: dict[str, str]) -> tuple[str, set[str]]:
    """The block with every assignment's value replaced from ``values`` (each name the guide
    assigns must be given) and its commands unchanged; also the names it assigns."""
    lines, names = [], set()
    for line in block.splitlines():
        assigned = _assignments(line) if line.strip() else None
        if assigned is None:
            lines.append(line)
            continue
        names |= set(assigned)
        missing = set(assigned) - set(values)
        assert not missing, f"the guide sets {missing}: give this test a value for it"
        lines.append("export " + " ".join(f"{k}={shlex.quote(values[k])}" for k in assigned))
    return "\n".join(lines) + "\n", names


def bash(code: str, env: dict, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", code], env=env, cwd=REPO, start_new_session=True, **kw
    )


def run_bash(code: str, env: dict, log: Path) -> str:
    with log.open("w") as out:
        proc = bash(code, env, stdout=out, stderr=subprocess.STDOUT)
        returncode = proc.wait(timeout=TIMEOUT_S)
    output = log.read_text()
    assert returncode == 0, output[-3000:]
    return output


@pytest.fixture
def prefect_database():
    """A scratch PostgreSQL database for the Prefect server (the guide's backend)."""
    try:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        name = f"prefect_guide_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        need(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    url = admin.url.set(drivername="postgresql+asyncpg", database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _client(api: str):
    from prefect.client.orchestration import SyncPrefectClient

    return SyncPrefectClient(api, auth_string=AUTH)


def _wait(api: str, run_id, done, timeout: float = TIMEOUT_S):
    deadline = time.monotonic() + timeout
    with _client(api) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            if done(run.state):
                return run
            time.sleep(2)
    pytest.fail(f"flow run {run_id} still {run.state.name} after {timeout}s")


def _machine_of(run_id, workers: list[subprocess.Popen]) -> int | None:
    """Which worker's process tree runs flow run ``run_id`` (PREFECT__FLOW_RUN_ID)."""
    for k, worker in enumerate(workers):
        for child in psutil.Process(worker.pid).children(recursive=True):
            try:
                if child.environ().get("PREFECT__FLOW_RUN_ID") == str(run_id):
                    return k
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
    return None


def _all_logs(api: str, log_filter) -> list[str]:
    """Every log message of the filter, page by page (the API returns at most 200 at a time)."""
    messages: list[str] = []
    with _client(api) as client:
        while True:
            page = client.read_logs(log_filter=log_filter, limit=200, offset=len(messages))
            messages += [entry.message for entry in page]
            if len(page) < 200:
                return messages


def _running_somewhere(api: str, runs: list[str], workers, tmp_path) -> tuple[str, int]:
    """The one run in Running (the deployment's concurrency limit is 1) and its machine."""
    deadline = time.monotonic() + TIMEOUT_S
    with _client(api) as client:
        while time.monotonic() < deadline:
            running = [r for r in runs if client.read_flow_run(r).state.is_running()]
            assert len(running) <= 1, "the deployment's concurrency limit lets one run at a time"
            machine = _machine_of(running[0], workers) if running else None
            if machine is not None:
                return running[0], machine
            time.sleep(0.5)
    pytest.fail(f"no run started: {(tmp_path / 'worker-1.log').read_text()[-3000:]}")


def _kill_machine(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and every process under it at once: its machine is gone."""
    victims = [psutil.Process(worker.pid), *psutil.Process(worker.pid).children(recursive=True)]
    for process in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)


def _environments(tmp_path, db_url, prefect_db, simulator, port):
    server = {
        "PREFECT_HOME": str(tmp_path / "prefect-server"),
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_API_AUTH_STRING": AUTH,
        "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    shared = tmp_path / "shared"
    worker = {
        "PREFECT_HOME": str(tmp_path / "prefect-client"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_API_AUTH_STRING": AUTH,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "ADUAN_HOME": str(tmp_path / "machine-0"),
        "ADUAN_DATABASE_URL": db_url,
        "ADUAN_AUTHOR_SECRET": "guide-test-author-secret",
        "ADUAN_PROFILE": str(shared / "profile"),
        "ADUAN_MODELS_DIR": str(shared / "models"),
        "ADUAN_LAPOR_BASE_URL": simulator.url,
        "ADUAN_LAPOR_API_KEY": "simulator-key",
        "ADUAN_LAPOR_TOKEN": "simulator-token",
        "ADUAN_FB_TOKEN": "fake-graph-token",
        **{name: "unused" for name in UNUSED_TOKENS},
    }
    return server, worker


def _base_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ADUAN_"))}
    env["PATH"] = f"{Path(prefect_exe()).parent}:{env['PATH']}"
    env["HOME"] = str(tmp_path / "user-home")
    (tmp_path / "user-home").mkdir(exist_ok=True)
    return env


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_server_guide_as_written(db_url, prefect_database, fake_graph, tmp_path):
    blocks = guide_blocks()
    assert set(blocks) == {"env-server", "server", "env-worker", "setup", "worker", "run"}
    region = write_profile(
        tmp_path / "region",
        graph_url=fake_graph.api_url,
        page_id=fake_graph.page["id"],
        broken_source=False,
    )
    shutil.copytree(REPO / "profiles" / "kupang" / "seed", region / "seed")
    simulator = start_simulator(load_profile(region), step_s=3600)
    port = free_port()
    server_values, worker_values = _environments(
        tmp_path, db_url, prefect_database, simulator, port
    )
    base = _base_env(tmp_path)
    server_env, names = script(blocks["env-server"], server_values)
    assert names == set(server_values)
    worker_env, names = script(blocks["env-worker"], worker_values)
    assert names == set(worker_values)
    setup, names = script(blocks["setup"], {"REGION": str(region), "LAPOR_CHANNEL": "1"})
    assert names == {"REGION", "LAPOR_CHANNEL"}
    api = worker_values["PREFECT_API_URL"]
    procs: list[subprocess.Popen] = []
    try:
        server_log = tmp_path / "server.log"
        # (PREFECT_UI_ENABLED=false: not serving the UI's files only makes the test start faster)
        server = bash(
            "export PREFECT_UI_ENABLED=false\n" + server_env + blocks["server"],
            base,
            stdout=server_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        procs.append(server)
        _wait_healthy(api, server, server_log)
        run_bash(worker_env + setup, base, tmp_path / "setup.log")
        # this test triggers its own runs: no scheduled run may start meanwhile
        pause = "prefect --no-prompt deployment schedule pause --all"
        run_bash(worker_env + pause, base, tmp_path / "pause.log")
        for k in (1, 2):  # two machines, each with its own ADUAN_HOME
            machine = worker_env + f"export ADUAN_HOME={tmp_path / f'machine-{k}'}\n"
            log = (tmp_path / f"worker-{k}.log").open("w")
            procs.append(
                bash(machine + blocks["worker"], base, stdout=log, stderr=subprocess.STDOUT)
            )
        workers = procs[1:]
        fake_graph.delay = 1.0  # a slow Graph API: the first run is still harvesting
        runs = [
            re.search(
                r"UUID: ([0-9a-f-]{36})", run_bash(worker_env + blocks["run"], base, log)
            ).group(1)
            for log in (tmp_path / "run-1.log", tmp_path / "run-2.log")
        ]
        store_url = db_url
        first, machine = _running_somewhere(api, runs, workers, tmp_path)
        second = next(r for r in runs if r != first)
        deadline = time.monotonic() + TIMEOUT_S
        while _post_count(store_url) == 0:  # kill it once its first pages are stored
            assert time.monotonic() < deadline, (tmp_path / "worker-1.log").read_text()[-3000:]
            time.sleep(0.2)
        _kill_machine(workers[machine])
        killed_at = _post_count(store_url)
        assert 0 < killed_at < fake_graph.item_count
        fake_graph.delay = 0.0

        crashed = _wait(api, first, lambda s: s.is_final())
        assert crashed.state.name == "Crashed", crashed.state
        assert "zombie automation" in (crashed.state.message or "")
        done = _wait(api, second, lambda s: s.is_final())
        assert done.state.is_completed(), (tmp_path / f"worker-{2 - machine}.log").read_text()
        from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

        only = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[done.id]))
        deadline = time.monotonic() + 60  # a worker's last logs may reach the API after the state
        while True:
            logs = _all_logs(api, only)
            if any(m.startswith("triage: {") for m in logs) or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert any(m.startswith("triage: {") for m in logs), logs[-20:]  # the pipeline's counts
    finally:
        for proc in reversed(procs):
            _stop(proc)
        simulator.stop()
    _check_store(db_url, fake_graph, simulator)


def _wait_healthy(api: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            answer = httpx.get(f"{api}/health", timeout=5, auth=tuple(AUTH.split(":")))
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"prefect server not healthy: {log.read_text()[-3000:]}")


def _check_store(db_url: str, graph, simulator) -> None:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        external_ids = list(session.scalars(select(PostRow.external_id)))
        states = set(session.scalars(select(PostRow.state)))
        classified = session.scalar(select(func.count(func.distinct(Classification.post_id))))
        empty = session.scalar(
            select(func.count(Case.id)).where(
                ~select(PostRow.id).where(PostRow.case_id == Case.id).exists()
            )
        )
        approved = session.scalar(select(func.count()).where(Case.state == "approved"))
        forwards = session.scalars(select(Forward)).all()
    engine.dispose()
    assert len(external_ids) == len(set(external_ids)) == graph.item_count
    assert classified == graph.item_count
    assert states <= {"archived", "in_case", "publisher"}
    assert empty == 0
    assert approved > 0 and len(forwards) == approved
    assert {f.state for f in forwards} == {"sent"}
    assert len({f.complaint_id for f in forwards}) == approved == len(simulator.state.complaints)
