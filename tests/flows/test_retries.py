"""One retry layer per kind of I/O: a Prefect task is retried only when the store failed, and the
forward, status and replies tasks never (their outboxes and the next run are the layer)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.flows.conftest import REPO

SCRIPT = """
from flows.env import configure_prefect
from config.settings import load_settings
configure_prefect(load_settings().home)
from prefect import flow, task
from sqlalchemy.exc import OperationalError
from flows import flows

calls = {"store": 0, "bug": 0}

@task(**{**flows.STORE_RETRIES, "retry_delay_seconds": 0})
def store_once():
    calls["store"] += 1
    if calls["store"] == 1:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    return "ok"

@task(**{**flows.STORE_RETRIES, "retry_delay_seconds": 0})
def bug():
    calls["bug"] += 1
    raise ValueError("not the store")

@flow
def both():
    return store_once(), bug(return_state=True).is_failed()

print("RESULT", both(), calls)
print("RETRIES", {t.name: (t.retries, t.retry_condition_fn is flows.store_failed) for t in (
    flows.harvest_source_task, flows.classify_batch_task, flows.triage_task, flows.forward_task,
    flows.status_task, flows.replies_task)})
"""


def test_tasks_retry_only_when_the_store_failed(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADUAN_", "PREFECT_"))}
    env["ADUAN_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in done.stdout.splitlines()}
    assert lines["RESULT"] == "('ok', True) {'store': 2, 'bug': 1}"
    assert lines["RETRIES"] == str(
        {
            "harvest-source": (3, True),
            "classify-batch": (3, True),
            "triage": (3, True),
            "forward-due": (0, False),
            "sync-status": (0, False),
            "send-replies": (0, False),
        }
    )
