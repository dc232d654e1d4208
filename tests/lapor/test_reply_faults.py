"""The reply outbox under injected faults: 20% of the reply requests fail before posting, 5% are
posted but their answer is lost; and a SIGKILL in the middle of ``aduan replies send``. Every
comment ends with exactly one reply, recorded with its id (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from config.profile import load_profile
from demo.fake_facebook import FakeGraphAPI, synthetic_page
from lapor.replies.run import run_replies
from lapor.replies.sender import ReplyRetry
from store.tables import Reply
from tests.lapor.replies_setup import harvest_into, reply_profile, sent_cases

FAST = ReplyRetry(base_s=0.02, factor=2.0, max_delay_s=0.2, max_attempts=60, jitter=0.1)
OPEN = {"approval", "pending", "sending", "unknown", "blocked"}


def page_for(n: int) -> dict:
    return synthetic_page((math.ceil(n / 7) + 1) * 10, comments_per_post=9)


def setup(factory, fake, tmp_path, n: int):
    entry = fake.source_entry("fb-faults", token_env="TEST_FB_TOKEN")
    harvest_into(factory, entry)
    cases = sent_cases(factory, source="fb-faults", n=n)
    options = {"enabled": True, "requests_per_second": 0}
    folder = reply_profile(
        tmp_path / "profile", [entry], {"policy": "auto", "sources": {"fb-faults": options}}
    )
    return cases, folder


def rows(factory) -> dict[str, Reply]:
    with factory() as session:
        return {r.target_id: r for r in session.scalars(select(Reply))}


def assert_exactly_once(fake, factory, cases) -> None:
    recorded = rows(factory)
    for _, comment_id, number in cases:
        posted = fake.replies_to(comment_id)
        assert len(posted) == 1, f"{comment_id}: {len(posted)} replies"
        row = recorded[comment_id]
        assert row.state == "sent" and row.reply_id == posted[0]["id"]
        assert number in posted[0]["message"]


@pytest.mark.slow
def test_faults_before_and_after_posting_end_with_one_reply_each(
    session_factory, tmp_path, monkeypatch
):
    monkeypatch.setenv("TEST_FB_TOKEN", "page-token")
    n = 150
    with FakeGraphAPI(page_for(n)) as fake:
        cases, folder = setup(session_factory, fake, tmp_path, n)
        assert len(cases) == n
        fake.reply_faults.rates(fail=0.2, lost=0.05, seed=7)
        profile = load_profile(folder)
        for _ in range(200):
            run_replies(
                factory=session_factory, profile=profile, concurrency=8, timeout=2.0, retry=FAST
            )
            if not {r.state for r in rows(session_factory).values()} & OPEN:
                break
            time.sleep(0.05)
        injected = fake.reply_faults.injected
        assert injected["failed"] >= n * 0.1 and injected["lost"] >= 2  # the faults happened
        assert_exactly_once(fake, session_factory, cases)


def replies_send(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "replies", "send", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_sigkill_mid_sending_then_rerun_loses_and_duplicates_nothing(
    session_factory, db_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("TEST_FB_TOKEN", "page-token")
    with FakeGraphAPI(page_for(20)) as fake:
        cases, folder = setup(session_factory, fake, tmp_path, 20)
        env = {"ADUAN_DATABASE_URL": db_url, "ADUAN_PROFILE": str(folder)}
        fake.reply_faults.hang(1, 30.0)  # the first reply is posted, its answer never comes
        sender = replies_send(env, "--concurrency", "1", "--timeout", "1")
        deadline = time.monotonic() + 120
        while not fake.posted:
            assert sender.poll() is None, sender.communicate()
            assert time.monotonic() < deadline, "the sender never posted"
            time.sleep(0.01)
        os.kill(sender.pid, signal.SIGKILL)  # posted on the platform, not recorded in the store
        sender.wait()
        states = [r.state for r in rows(session_factory).values()]
        assert states.count("sending") == 1 and len(fake.posted) == 1

        outputs = []
        for _ in range(3):  # until the killed row's lease has run out and it was reconciled
            again = replies_send(env, "--timeout", "1")
            out, err = again.communicate(timeout=300)
            assert again.returncode == 0, err
            outputs.append(out)
            lingering = [r for r in rows(session_factory).values() if r.state == "sending"]
            if not lingering:
                break
            # its lease still runs: not touched until it has passed
            time.sleep(max(0.0, lingering[0].next_attempt_at.timestamp() - time.time() + 0.5))
        joined = " ".join(outputs)
        assert "recovered_unknown 1" in joined and "reconciled 1" in joined, outputs
        assert_exactly_once(fake, session_factory, cases)
