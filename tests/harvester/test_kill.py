"""SIGKILL in the middle of ``aduan run harvest``, run again: the store holds exactly what was
served.

The fake Graph API answers slowly so that the harvest is certainly mid-run when it is killed;
the test waits for the first stored page (polling the store), kills the process with SIGKILL,
runs the harvest again to the end and compares the store with the fake's record of what it served.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from demo.fake_facebook import FakeGraphAPI, synthetic_page
from store.db import make_engine
from store.tables import PostRow

ITEMS = 400


def aduan_harvest(profile, env) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from cli.main import main; main()",
            "run",
            "harvest",
            "--profile",
            str(profile),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the kill takes its Prefect server too
    )


def stored_ids(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(PostRow.external_id)))


def wait_for_rows(engine, proc, deadline_s: float = 120.0) -> int:
    """Poll until the harvest has stored a page (not an assertion on time: a generous guard)."""
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(PostRow))
        if count:
            return count
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the harvest stored nothing")


def test_sigkill_mid_run_then_rerun_stores_exactly_what_was_served(db_url, tmp_path):
    profile = tmp_path / "profile"
    profile.mkdir()
    env = {
        **os.environ,
        "ADUAN_DATABASE_URL": db_url,
        "ADUAN_HOME": str(tmp_path / "home"),
        "KILL_TEST_TOKEN": "fake-token",
    }
    engine = make_engine(db_url)
    with FakeGraphAPI(synthetic_page(ITEMS, comments_per_post=9)) as fake:
        (profile / "sources.yaml").write_text(
            "sources:\n"
            "  - name: fb-kill-test\n"
            "    type: facebook_page\n"
            f'    page_id: "{fake.page["id"]}"\n'
            f"    base_url: {fake.api_url}\n"
            "    token_env: KILL_TEST_TOKEN\n"
            "    limit: 3\n"
            "    requests_per_second: 0\n",
            encoding="utf-8",
        )
        fake.delay = 0.03
        proc = aduan_harvest(profile, env)
        try:
            wait_for_rows(engine, proc)
            # SIGKILL of the command and its temporary Prefect server: no cleanup, no atexit,
            # mid-transaction for all we know
            os.killpg(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
        after_kill = stored_ids(engine)
        assert proc.returncode == -9
        assert 0 < len(after_kill) < ITEMS, "the kill must land mid-run"

        fake.delay = 0.0
        rerun = aduan_harvest(profile, env)
        out, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, err
        final = stored_ids(engine)
    engine.dispose()
    assert len(final) == len(set(final)) == ITEMS
    assert set(final) == fake.served
    assert set(after_kill) <= set(final)
