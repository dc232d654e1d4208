"""SIGKILL of ``aduan run forward`` between the request and its acknowledgement: the row becomes
``unknown`` on restart and is never resent."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from store.tables import AuditEntry, Forward
from tests.lapor.conftest import approved_cases

CLI = "from cli.main import main; main()"


def forward_cli(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "run", "forward", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the kill takes its Prefect server too
    )


def state(factory) -> Forward:
    with factory() as session:
        return session.scalars(select(Forward)).one()


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sigkill_after_the_request_leaves_unknown_never_resent(
    session_factory, db_url, simulator, mapped_folder
):
    sim = simulator(latency_ms=2500)  # LAPOR! stores it, then takes 2.5 s to answer
    approved_cases(session_factory, 1)
    env = {
        "ADUAN_DATABASE_URL": db_url,
        "ADUAN_PROFILE": str(mapped_folder),
        "ADUAN_LAPOR_BASE_URL": sim.url,
        "ADUAN_LAPOR_API_KEY": "simulator-key",
        "ADUAN_LAPOR_TOKEN": "simulator-token",
        # lease = 2 * 30 + 5 s: the restart (a new Prefect temporary server) starts within it
        "ADUAN_LAPOR_TIMEOUT_S": "30",
    }
    sender = forward_cli(env, "--concurrency", "1")
    deadline = time.monotonic() + 60
    while not sim.state.complaints:
        assert sender.poll() is None, sender.communicate()
        assert time.monotonic() < deadline, "the sender never reached the simulator"
        time.sleep(0.01)
    # the request reached LAPOR!, the answer never arrives (its Prefect server is killed too)
    os.killpg(sender.pid, signal.SIGKILL)
    sender.wait()
    row = state(session_factory)
    assert (row.state, row.attempts, row.complaint_id) == ("sending", 1, None)

    restart = forward_cli(env)
    out, err = restart.communicate(timeout=120)
    assert restart.returncode == 0, err
    assert "sent 0" in out and state(session_factory).state == "sending"  # lease still running

    lease_end = state(session_factory).next_attempt_at.timestamp()
    time.sleep(max(0.0, lease_end - time.time() + 0.5))
    restart = forward_cli(env)
    out, err = restart.communicate(timeout=120)
    assert restart.returncode == 0, err
    assert "stale sending -> unknown 1" in out
    row = state(session_factory)
    assert (row.state, row.attempts) == ("unknown", 1)
    assert "the request may have reached the target" in row.last_error
    assert len(sim.state.complaints) == 1  # not resent
    with session_factory() as session:
        actions = [a.action for a in session.scalars(select(AuditEntry))]
    assert actions[-1] == "forward.unknown"
