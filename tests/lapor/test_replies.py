"""Replies to citizens through the reply outbox, against the strict fakes (Graph, Instagram,
YouTube): planned from the profile, approved or automatic, never posted twice."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from config.exceptions import ConfigError
from config.profile import load_profile
from demo.fake_facebook import FakeGraphAPI
from lapor.replies.run import counts, run_replies
from lapor.replies.sender import ReplyRetry
from store.replies import approve_reply, replies_for_case
from store.tables import AuditEntry, Forward, PostRow, Reply
from tests.fakes.instagram import FakeInstagram
from tests.fakes.youtube import FakeYouTube
from tests.lapor.replies_setup import harvest_into, reply_profile, sent_cases

REPO = Path(__file__).resolve().parents[2]
DEMO_PAGE = REPO / "profiles" / "kupang" / "demo" / "facebook_page.json"
FAST = ReplyRetry(base_s=0.0, max_delay_s=0.0, jitter=0.0, blocked_delay_s=3600)
# one attempt per run: a retried row is due again 1.5 s later
STEP = ReplyRetry(base_s=1.5, factor=1.0, jitter=0.0, blocked_delay_s=3600)
PAUSE_S = 1.6


@pytest.fixture(autouse=True)
def tokens(monkeypatch):
    monkeypatch.setenv("TEST_FB_TOKEN", "fb-page-token")
    monkeypatch.setenv("TEST_IG_TOKEN", "ig-test-token")
    monkeypatch.setenv("TEST_YT_KEY", "yt-test-key")
    monkeypatch.setenv("TEST_YT_OAUTH", "yt-oauth-token")


@pytest.fixture
def graph():
    with FakeGraphAPI.from_file(DEMO_PAGE) as fake:
        yield fake


def fb_profile(tmp_path, fake, policy="auto", **extra):
    entry = fake.source_entry("pemkot-fb", token_env="TEST_FB_TOKEN")
    replies = {
        "policy": policy,
        "sources": {"pemkot-fb": {"enabled": True, "requests_per_second": 0}},
    }
    replies.update(extra)
    return load_profile(reply_profile(tmp_path / "profile", [entry], replies)), entry


def replies(factory) -> list[Reply]:
    with factory() as session:
        return list(session.scalars(select(Reply).order_by(Reply.id)))


def run(factory, profile, **kw):
    kw.setdefault("retry", FAST)
    kw.setdefault("timeout", 2.0)
    return run_replies(factory=factory, profile=profile, **kw)


def test_an_unknown_placeholder_stops_the_profile_in_one_line(tmp_path):
    folder = reply_profile(
        tmp_path / "p", [], {"templates": {"sent": "Halo {nama}, nomor {nomor}"}}
    )
    with pytest.raises(ConfigError) as caught:
        load_profile(folder)
    message = str(caught.value)
    assert "replies.yaml" in message and "{nama}" in message and "{nomor}" in message
    assert "\n" not in message


def test_replies_are_off_by_default(graph, session_factory, tmp_path):
    entry = graph.source_entry("pemkot-fb", token_env="TEST_FB_TOKEN")
    harvest_into(session_factory, entry)
    sent_cases(session_factory, source="pemkot-fb", n=3)
    profile = load_profile(reply_profile(tmp_path / "p", [entry], {}))
    stats = run(session_factory, profile)
    assert stats.planned == 0 and replies(session_factory) == [] and graph.posted == []


def test_a_facilitator_approves_then_the_reply_is_posted_once_under_the_comment(
    graph, session_factory, tmp_path
):
    profile, entry = fb_profile(tmp_path, graph, policy="approve")
    harvest_into(session_factory, entry)
    [(case_id, comment_id, number)] = sent_cases(session_factory, source="pemkot-fb", n=1)
    first = run(session_factory, profile)
    [row] = replies(session_factory)
    assert first.planned == 1 and first.sent == 0 and row.state == "approval"
    assert number in row.text and f"https://www.lapor.go.id/pengaduan/{number}" in row.text
    with session_factory() as session:
        citizen = session.scalars(select(PostRow).where(PostRow.external_id == comment_id)).one()
    assert citizen.text[:20] not in row.text  # never echoes the citizen's words
    with session_factory.begin() as session:
        approve_reply(session=session, reply_id=row.id, actor="nona")
    second = run(session_factory, profile)
    assert second.sent == 1 and second.planned == 0
    [row] = replies(session_factory)
    assert row.state == "sent" and row.reply_id and row.approved_by == "nona"
    assert [p["message"] for p in graph.replies_to(comment_id)] == [row.text]
    # through the fake API: the Page's reply is under the citizen's comment
    thread = requests.get(
        f"{graph.api_url}/{comment_id}/comments",
        params={"fields": "id,message,from"},
        headers={"Authorization": "Bearer x"},
        timeout=5,
    ).json()["data"]
    assert [(c["message"], c["from"]["id"]) for c in thread] == [(row.text, graph.page["id"])]
    assert run(session_factory, profile).sent == 0  # nothing twice
    with session_factory() as session:
        actions = [a.action for a in session.scalars(select(AuditEntry))]
    assert "reply.approve" in actions and "reply.sent" in actions


def test_the_publishers_posts_are_never_replied_to(graph, session_factory, tmp_path):
    profile, entry = fb_profile(tmp_path, graph)
    harvest_into(session_factory, entry)
    [(case_id, comment_id, _)] = sent_cases(session_factory, source="pemkot-fb", n=1)
    with session_factory.begin() as session:
        row = session.scalars(select(PostRow).where(PostRow.external_id == comment_id)).one()
        row.by_publisher = True
    assert run(session_factory, profile).planned == 0 and graph.posted == []


def test_a_comment_without_a_platform_id_is_counted_as_not_sendable(
    graph, session_factory, tmp_path
):
    """A post the platform delivered without an id (``derived:``) cannot be replied to: the run
    says so in its figures and problems instead of showing failed 0."""
    profile, entry = fb_profile(tmp_path, graph)
    harvest_into(session_factory, entry)
    cases = sent_cases(session_factory, source="pemkot-fb", n=3)
    with session_factory.begin() as session:
        row = session.scalars(select(PostRow).where(PostRow.external_id == cases[0][1])).one()
        row.external_id = "derived:" + "0" * 32
    stats = run(session_factory, profile)
    assert (stats.planned, stats.sent, stats.not_sendable) == (3, 2, 1)
    assert counts(stats)["not_sendable"] == 1
    assert "platform tidak memberi id komentar" in stats.problems[0]
    assert sorted(r.state for r in replies(session_factory)) == ["failed", "sent", "sent"]
    again = run(session_factory, profile)  # planned once: not counted again
    assert (again.planned, again.not_sendable) == (0, 0)


def test_a_reply_to_a_comment_goes_under_that_comments_thread(graph, session_factory, tmp_path):
    profile, entry = fb_profile(tmp_path, graph)
    harvest_into(session_factory, entry)
    nested = "900000000000037_1000000000000168"  # a reply nested under ..._167
    with session_factory() as session:
        row = session.scalars(select(PostRow).where(PostRow.external_id == nested)).one()
        assert row.parent_external_id == "900000000000037_1000000000000167"
    cases = sent_cases(session_factory, source="pemkot-fb", top_level_only=False)
    assert nested in {c[1] for c in cases}
    run(session_factory, profile)
    target = {r.post_id: r.target_id for r in replies(session_factory)}[row.id]
    assert target == "900000000000037_1000000000000167"


@pytest.mark.parametrize(
    ("fault", "counted"),
    [
        (lambda f: f.reply_faults.fail(1, 500), "unknown"),  # may be posted: thread read first
        (lambda f: f.reply_faults.lose(1), "unknown"),  # posted, answer lost
        (lambda f: f.reply_faults.hang(1, 6.0), "unknown"),  # posted, answer after the timeout
        (lambda f: f.reply_faults.fail(1, 429), "retried"),  # throttled: nothing posted
    ],
    ids=["500", "lost", "timeout", "429"],
)
def test_a_failed_or_lost_reply_is_posted_exactly_once(
    graph, session_factory, tmp_path, fault, counted
):
    profile, entry = fb_profile(tmp_path, graph)
    harvest_into(session_factory, entry)
    [(_, comment_id, _)] = sent_cases(session_factory, source="pemkot-fb", n=1)
    fault(graph)
    first = run(session_factory, profile, timeout=2.0, retry=STEP)
    assert getattr(first, counted) == 1 and first.sent + first.reconciled == 0
    time.sleep(PAUSE_S)
    second = run(session_factory, profile, timeout=2.0, retry=STEP)
    assert second.sent + second.reconciled == 1
    assert len(graph.replies_to(comment_id)) == 1
    [row] = replies(session_factory)
    assert row.state == "sent" and row.attempts == 2


def test_a_deleted_comment_is_recorded_and_never_retried(graph, session_factory, tmp_path):
    profile, entry = fb_profile(tmp_path, graph)
    harvest_into(session_factory, entry)
    [(case_id, comment_id, _)] = sent_cases(session_factory, source="pemkot-fb", n=1)
    graph.delete(comment_id)
    assert run(session_factory, profile).gone == 1
    before = len(graph.requests)
    assert run(session_factory, profile).gone == 0
    assert len(graph.requests) == before  # not tried again
    [row] = replies(session_factory)
    assert row.state == "gone" and "dihapus" in row.last_error


def test_a_missing_permission_blocks_the_source_with_a_clear_message(
    graph, session_factory, tmp_path
):
    profile, entry = fb_profile(tmp_path, graph)
    harvest_into(session_factory, entry)
    sent_cases(session_factory, source="pemkot-fb", n=3)
    graph.permissions.discard("pages_manage_engagement")
    stats = run(session_factory, profile, concurrency=1)
    assert stats.blocked == 1 and stats.sent == 0  # the source stops after the first refusal
    rows = replies(session_factory)
    blocked = [r for r in rows if r.state == "blocked"]
    assert len(blocked) == 1
    assert blocked[0].last_error.startswith(
        "balasan tidak bisa dikirim: izin pages_manage_engagement"
    )
    assert {r.state for r in rows} == {"blocked", "pending"}
    graph.permissions.add("pages_manage_engagement")
    with session_factory.begin() as session:  # an hour later
        for row in session.scalars(select(Reply)):
            row.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    assert run(session_factory, profile).sent == 3


def test_status_selesai_gets_its_own_reply(graph, session_factory, tmp_path):
    profile, entry = fb_profile(tmp_path, graph)
    harvest_into(session_factory, entry)
    [(case_id, comment_id, number)] = sent_cases(session_factory, source="pemkot-fb", n=1)
    assert run(session_factory, profile).sent == 1
    with session_factory.begin() as session:
        forward = session.scalars(select(Forward)).one()
        forward.status_name, forward.status_checked_at = "Selesai", datetime.now(UTC)
    assert run(session_factory, profile).sent == 1
    kinds = {r.kind: r for r in replies(session_factory)}
    assert set(kinds) == {"sent", "status:Selesai"}
    assert "selesai" in kinds["status:Selesai"].text and number in kinds["status:Selesai"].text
    assert len(graph.replies_to(comment_id)) == 2
    with session_factory() as session:
        assert len(replies_for_case(session=session, case_id=case_id)) == 2


def test_instagram_replies_and_reconciliation(session_factory, tmp_path):
    with FakeInstagram() as ig:
        entry = ig.source_entry("pemkot-ig")
        replies_yaml = {
            "policy": "auto",
            "sources": {"pemkot-ig": {"enabled": True, "requests_per_second": 0}},
        }
        profile = load_profile(reply_profile(tmp_path / "p", [entry], replies_yaml))
        harvest_into(session_factory, entry)
        cases = sent_cases(session_factory, source="pemkot-ig")
        assert len(cases) == 7  # top-level citizen comments; the account's own reply excluded
        ig.reply_faults.lose(2)
        first = run(session_factory, profile, retry=STEP)
        assert first.sent == 5 and first.unknown == 2
        time.sleep(PAUSE_S)
        stats = run(session_factory, profile, retry=STEP)
        assert stats.reconciled == 2 and stats.sent == 0
        for _, comment_id, _ in cases:
            assert len(ig.replies_to(comment_id)) == 1
        assert {r.state for r in replies(session_factory)} == {"sent"}
        assert all(
            r.reply_url.startswith("https://www.instagram.com/p/") for r in replies(session_factory)
        )


def test_youtube_replies_need_an_oauth_token_and_reconcile(session_factory, tmp_path):
    with FakeYouTube(page_size=2) as yt:
        entry = {
            "name": "pemkot-yt",
            "type": "youtube_comments",
            "base_url": f"{yt.url}/youtube/v3",
            "video_ids": [yt.video],
            "token_env": "TEST_YT_KEY",
            "requests_per_second": 0,
        }
        no_oauth = {"policy": "auto", "sources": {"pemkot-yt": {"enabled": True}}}
        profile = load_profile(reply_profile(tmp_path / "a", [entry], no_oauth))
        from lapor.replies.errors import ReplyConfigError

        with pytest.raises(ReplyConfigError, match="OAuth"):
            run(session_factory, profile)
        ok = {
            "policy": "auto",
            "sources": {
                "pemkot-yt": {
                    "enabled": True,
                    "token_env": "TEST_YT_OAUTH",
                    "requests_per_second": 0,
                }
            },
        }
        profile = load_profile(reply_profile(tmp_path / "b", [entry], ok))
        harvest_into(session_factory, entry)
        cases = sent_cases(session_factory, source="pemkot-yt")
        yt.reply_faults.hang(1, 6.0)
        first = run(session_factory, profile, timeout=2.0, retry=STEP)
        assert first.unknown >= 1  # (more than one only if the machine is very slow)
        reconciled = 0
        for _ in range(5):
            time.sleep(PAUSE_S)
            reconciled += run(session_factory, profile, timeout=2.0, retry=STEP).reconciled
            if {r.state for r in replies(session_factory)} == {"sent"}:
                break
        assert reconciled >= 1
        for _, comment_id, _ in cases:
            assert len(yt.replies_to(comment_id)) == 1
        rows = replies(session_factory)
        assert {r.state for r in rows} == {"sent"} and "lc=" in rows[0].reply_url


def test_sources_check_says_which_reply_permission_is_missing(graph, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.main import app as root

    profile, _ = fb_profile(tmp_path, graph)
    args = ["sources", "check", "--profile", str(profile.folder)]
    ok = CliRunner().invoke(root, args, env={"COLUMNS": "250"})
    assert ok.exit_code == 0, ok.output
    assert "replies pemkot-fb: ok: may reply (pages_manage_engagement" in ok.output
    graph.permissions -= {"pages_manage_engagement", "pages_read_user_content"}
    missing = CliRunner().invoke(root, args, env={"COLUMNS": "250"})
    assert missing.exit_code == 1
    assert "balasan tidak bisa dikirim: izin pages_manage_engagement" in missing.output
    assert "a Page token with pages_manage_engagement" in missing.output


def test_usage_headers_at_90_percent_stop_the_source_for_this_run(graph, session_factory, tmp_path):
    profile, entry = fb_profile(tmp_path, graph)
    harvest_into(session_factory, entry)
    sent_cases(session_factory, source="pemkot-fb", n=4)
    graph.usage(95)  # the answer to the first reply says the app is at 95% of its quota
    first = run(session_factory, profile, concurrency=1)
    assert first.sent == 1 and len(graph.posted) == 1
    assert {r.state for r in replies(session_factory)} == {"sent", "pending"}
    assert run(session_factory, profile).sent == 3  # the next run carries on
