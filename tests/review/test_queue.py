"""The queue: filters, scope, order, skip, details shown and CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from store.queue import QueueFilter, list_queue
from store.repository import upsert_posts
from tests.factories import T0, make_post
from tests.review.conftest import add_user, csrf_of, login, seed_case

CASE_IDS = re.compile(r'id="case-(\d+)"')


def shown(html: str) -> list[int]:
    return [int(x) for x in CASE_IDS.findall(html)]


def test_filters_by_agency_topic_source_band_and_date(session_factory, client):
    add_user(session_factory, "ana", "admin")
    a = seed_case(session_factory, 1, agency="dlhk", topic="sampah", confidence=0.9)
    b = seed_case(session_factory, 2, agency="pln", topic="listrik", confidence=0.6, source="x")
    c = seed_case(
        session_factory,
        3,
        agency="pln",
        topic="listrik",
        confidence=0.3,
        created_at=T0 + timedelta(days=10),
    )
    login(client, "ana")
    assert sorted(shown(client.get("/").text)) == [a, b, c]
    assert shown(client.get("/?agency=pln").text) == [c, b]
    assert shown(client.get("/?topic=sampah").text) == [a]
    assert shown(client.get("/?source=x").text) == [b]
    assert shown(client.get("/?band=high").text) == [a]
    assert shown(client.get("/?band=medium").text) == [b]
    assert shown(client.get("/?band=low").text) == [c]
    assert shown(client.get("/?from=2026-10-05").text) == [c]
    assert sorted(shown(client.get("/?to=2026-10-05").text)) == [a, b]
    assert sorted(shown(client.get("/?agency=bogus&band=bogus").text)) == [a, b, c]


def test_order_is_urgency_then_lowest_confidence(session_factory):
    low = seed_case(session_factory, 1, confidence=0.2)
    high = seed_case(session_factory, 2, confidence=0.9)
    urgent = seed_case(session_factory, 3, confidence=0.95, urgency=3)
    with session_factory() as session:
        views, total = list_queue(session=session, filters=QueueFilter(), agencies=None)
    assert total == 3 and [v.case.id for v in views] == [urgent, low, high]


def test_case_shows_parent_alternatives_duplicates_and_source(session_factory, client):
    add_user(session_factory, "ana", "admin")
    with session_factory.begin() as session:
        upsert_posts(
            session=session,
            posts=[make_post(500, source="fb-kupang", text="Pengumuman: jadwal sampah baru")],
        )
    seed_case(
        session_factory,
        1,
        agency="dlhk",
        topic="sampah",
        duplicates=2,
        parent_external_id="ext-500",
        text="sampah belum diangkut seminggu",
    )
    login(client, "ana")
    html = client.get("/").text
    assert "Pengumuman: jadwal sampah baru" in html  # the parent post of the comment
    assert "sampah belum diangkut seminggu" in html
    assert "Posting serupa (2)" in html and "(ulang 2)" in html
    assert 'href="https://example.test/p/1"' in html
    assert "70%" in html and "PLN UP3 Kupang 10%" in html  # confidence and an alternative


def test_facilitator_queue_holds_only_their_agencies(session_factory, client):
    add_user(session_factory, "fasil", "facilitator", ["dlhk", "dinkes"])
    mine = seed_case(session_factory, 1, agency="dlhk", topic="sampah")
    seed_case(session_factory, 2, agency="pln", topic="listrik")
    login(client, "fasil")
    assert shown(client.get("/").text) == [mine]
    assert shown(client.get("/?agency=pln").text) == []
    rows = list(csv.DictReader(io.StringIO(client.get("/queue.csv").text)))
    assert [int(r["no. kasus"]) for r in rows] == [mine]


def test_skipped_case_leaves_only_the_skippers_queue(session_factory, client, make_client):
    add_user(session_factory, "ana", "facilitator")
    add_user(session_factory, "budi", "facilitator")
    case_id = seed_case(session_factory, 1)
    login(client, "ana")
    client.post(f"/cases/{case_id}/skip", data={"csrf_token": csrf_of(client.get("/").text)})
    assert shown(client.get("/").text) == []
    assert shown(client.get("/?skipped=1").text) == [case_id]
    other = make_client()
    login(other, "budi")
    assert shown(other.get("/").text) == [case_id]


def test_csv_export_follows_the_filters_and_defuses_formulas(session_factory, client):
    add_user(session_factory, "ana", "admin")
    seed_case(session_factory, 1, agency="dlhk", topic="sampah", text='=HYPERLINK("x") sampah')
    seed_case(session_factory, 2, agency="pln", topic="listrik")
    login(client, "ana")
    response = client.get("/queue.csv?agency=dlhk")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["instansi"] for r in rows] == ["DLHK"]  # the name, not the key
    assert rows[0]["teks"].startswith("'=HYPERLINK")


def test_pages_of_twenty(session_factory, client):
    add_user(session_factory, "ana", "admin")
    for i in range(1, 23):
        seed_case(session_factory, i)
    login(client, "ana")
    first, second = client.get("/").text, client.get("/?page=2").text
    assert len(shown(first)) == 20 and len(shown(second)) == 2
    assert not set(shown(first)) & set(shown(second))
    assert 'id="total">22<' in first


def test_a_page_past_the_last_shows_the_last_page(session_factory, client):
    add_user(session_factory, "ana", "admin")
    case_id = seed_case(session_factory, 1)
    login(client, "ana")
    page = client.get("/?page=99").text
    assert "halaman 1/1" in page and "halaman 99" not in page
    assert shown(page) == [case_id] and "Tidak ada kasus yang menunggu" not in page
