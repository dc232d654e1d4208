"""Passing a sent case to another agency, and photos of posts sent as LAPOR! attachments."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from demo.fake_server import FakeRequest, FakeResponse, FakeServer
from harvester.http import PoliteSession
from lapor.outbox import send_due
from lapor.reroute import reroute_sent_case
from store.exceptions import StoreError
from store.repository import upsert_posts
from store.tables import AuditEntry, Case, Forward, PostRow, Review
from tests.factories import make_post
from tests.fakes.x_api import FakeX
from tests.harvester.test_sources import config, harvest
from tests.lapor.conftest import approved_cases, client_for

JPEG = b"\xff\xd8\xff\xe0" + b"foto jalan berlubang" * 20


class FakeCdn(FakeServer):
    """Serves a photo at every ``.jpg`` path (and a page that is not an image elsewhere)."""

    name = "fake-cdn"

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path.endswith(".jpg"):
            return FakeResponse(200, JPEG, {"Content-Type": "image/jpeg"})
        return FakeResponse(200, b"<html></html>", {"Content-Type": "text/html"})


def sent_case(factory, sim, mapped) -> tuple[int, str]:
    [case_id] = approved_cases(factory, 1)
    stats = send_due(factory=factory, client=client_for(sim), profile=mapped)
    assert stats.sent == 1
    with factory() as session:
        forward = session.scalars(select(Forward).where(Forward.case_id == case_id)).one()
    return case_id, forward.complaint_id


def test_a_sent_case_is_passed_on_with_the_reject_endpoint(session_factory, sim, mapped):
    case_id, complaint_id = sent_case(session_factory, sim, mapped)
    result = reroute_sent_case(
        factory=session_factory,
        client=client_for(sim),
        profile=mapped,
        case_id=case_id,
        agency="dinkes",
        actor="nona",
        reason="Bukan wewenang Dinas PUPR: genangan air dan nyamuk DBD",
    )
    assert result == complaint_id
    stored = sim.state.complaints[int(complaint_id)]
    passed = stored["passed_on"][0]
    assert passed["reason"] == int(mapped.agency("dinkes").lapor_disposition_id)
    assert passed["not_authority"] == 1 and passed["is_request"] == 1
    assert passed["reason_description"].startswith("Bukan wewenang")
    with session_factory() as session:
        assert session.get(Case, case_id).agency == "dinkes"
        review = session.scalars(select(Review).where(Review.action == "reroute")).one()
        assert (review.agency_before, review.agency_after) == ("pupr", "dinkes")
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["case.reroute_requested", "case.reroute"]


def test_a_case_not_sent_yet_is_not_passed_on(session_factory, sim, mapped):
    [case_id] = approved_cases(session_factory, 1)
    with pytest.raises(StoreError, match="not in LAPOR! yet"):
        reroute_sent_case(
            factory=session_factory,
            client=client_for(sim),
            profile=mapped,
            case_id=case_id,
            agency="dinkes",
            actor="nona",
            reason="salah instansi",
        )
    assert sim.state.counters.get("passed_on") is None


def test_photos_of_posts_are_uploaded_and_sent_by_id(session_factory, sim, mapped):
    with FakeCdn() as cdn:
        raw = json.dumps({"id": "1_2", "full_picture": f"{cdn.url}/foto.jpg"})
        second = json.dumps({"id": "1_3", "full_picture": f"{cdn.url}/bukan-foto"})
        with session_factory.begin() as session:
            upsert_posts(
                session=session,
                posts=[make_post(900, raw=raw), make_post(901, raw=second)],
            )
        case_id = _case_of(session_factory, ["ext-900", "ext-901"])
        stats = send_due(factory=session_factory, client=client_for(sim), profile=mapped)
    assert stats.sent == 1
    [complaint] = sim.state.complaints.values()
    assert complaint["attachments"] == f"[{min(sim.state.uploads)}]"
    assert len(sim.state.uploads) == 1  # the page that is not an image was not uploaded
    assert "_photo_urls" not in complaint
    assert case_id


def test_photos_of_an_x_post_reach_lapor_as_uploaded_ids(session_factory, sim, mapped, monkeypatch):
    """The whole way: X search with the media expansion -> posts.photo_urls -> uploads -> the
    create body's ``attachments`` (checked by the strict simulator)."""
    monkeypatch.setenv("TEST_X_TOKEN", "x-test-token")
    with FakeCdn() as cdn, FakeX(fixture="search_media.json") as api:
        for media in api.media:  # the recorded pbs.twimg.com photos, served by the local CDN
            if "url" in media:
                media["url"] = media["url"].replace("https://pbs.twimg.com", cdn.url)
        entry = {"name": "x-kupang", "type": "x_search", "query": "kupang"}
        cfg = config(**entry, base_url=f"{api.url}/2", token_env="TEST_X_TOKEN")
        with PoliteSession(min_interval=0, sleep=lambda _: None, max_retries=1) as http:
            assert harvest(cfg, session_factory, http).ok
        _case_of(session_factory, ["1862000000000009400"])  # the post with two photos
        stats = send_due(factory=session_factory, client=client_for(sim), profile=mapped)
        fetched = [r.path for r in cdn.requests]
    assert stats.sent == 1
    assert fetched == ["/media/ContohGot1AAAA.jpg", "/media/ContohGot2BBBB.jpg"]
    [complaint] = sim.state.complaints.values()
    assert complaint["attachments"] == "[" + ",".join(map(str, sorted(sim.state.uploads))) + "]"
    assert len(sim.state.uploads) == 2


def _case_of(factory, external_ids: list[str]) -> int:
    from cases.states import approve_case
    from store.cases import attach_post, create_case

    with factory.begin() as session:
        rows = session.scalars(
            select(PostRow).where(PostRow.external_id.in_(external_ids)).order_by(PostRow.id)
        ).all()
        case = create_case(
            session=session,
            post=rows[0],
            agency="pupr",
            topic="jalan_rusak",
            agency_confidence=0.9,
            topic_confidence=0.9,
        )
        for row in rows[1:]:
            attach_post(session=session, case=case, post=row)
        approve_case(session=session, case_id=case.id, actor="tester")
        return case.id
