"""`aduan serve` on a single machine: starts its private Prefect server (database under
ADUAN_HOME), serves the deployments, and a scheduled run executes and completes."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.flows.conftest import aduan_exe, free_port

TIMEOUT_S = 480


def test_aduan_serve_runs_a_scheduled_deployment(world, tmp_path):
    from prefect.client.orchestration import SyncPrefectClient

    port = free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [aduan_exe(), "serve", "--only", "status", "--status-cron", "* * * * *"]
        + ["--port", str(port)],
        env=world["env"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    completed = []
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not completed and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            time.sleep(3)
            try:
                with SyncPrefectClient(f"http://127.0.0.1:{port}/api") as client:
                    runs = client.read_flow_runs()
            except Exception:  # the server is still starting
                continue
            completed = [r for r in runs if r.state and r.state.is_completed()]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
    assert completed, log.read_text()[-3000:]
    # the hint for another shell names this server (without it `prefect deployment run` starts
    # an ephemeral server of its own and fails on the locked database)
    assert f"export PREFECT_API_URL=http://127.0.0.1:{port}/api" in log.read_text()
    assert completed[0].deployment_id is not None  # a run of the served deployment
    assert (world["home"] / "prefect" / "server.log").exists()
    assert list((world["home"] / "prefect").glob("prefect.db*"))
