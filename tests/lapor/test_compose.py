from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from lapor.compose import compose_complaint, find_place, photo_urls
from lapor.exceptions import MappingMissing
from lapor.redact import PHONE_MARK


def case(**kw):
    return SimpleNamespace(
        **{"id": 42, "agency": "pupr", "topic": "jalan_rusak", "urgency": 2, **kw}
    )


def post(text, url="https://www.facebook.com/p/1", at=datetime(2026, 10, 1, 17, 30, tzinfo=UTC)):
    return SimpleNamespace(text=text, url=url, created_at=at)


def test_complaint_fields_from_case_posts_and_profile(mapped):
    body = compose_complaint(
        case(),
        [
            post("Jalan di Jl. Timor Raya berlubang besar, kontak 0812-3456-7890"),
            post("sama", "https://x.test/2"),
        ],
        mapped,
    )
    assert body["title"] == "Jalan Rusak di Jl. Timor Raya, Kota Kupang"
    assert PHONE_MARK in body["content"] and "0812" not in body["content"]
    assert "https://www.facebook.com/p/1" in body["content"]
    assert "https://x.test/2" in body["content"]
    assert "dikumpulkan oleh Aduan dari unggahan publik di media sosial" in body["content"]
    assert "aduan-42" in body["content"]
    pupr = mapped.agency("pupr").lapor_disposition_id
    assert (body["disposition_id"], body["category_id"]) == (
        pupr,
        mapped.topic("jalan_rusak").lapor_category_id,
    )
    assert (body["channel"], body["location_id"]) == (1, 301)
    assert body["is_anonymous"] is True and body["is_secret"] is False
    # 17:30 UTC is 01:30 the next day in Kupang (WITA, UTC+8)
    assert body["date_of_incident"] == "2026-10-02"


def test_title_falls_back_to_the_region_and_is_bounded(mapped):
    body = compose_complaint(case(), [post("jalan rusak sekali " * 50)], mapped)
    assert body["title"] == "Jalan Rusak di Kota Kupang"
    assert len(body["content"]) <= 4000


def test_every_missing_id_is_named(kupang):
    with pytest.raises(MappingMissing) as info:
        compose_complaint(case(), [post("jalan rusak")], kupang)
    text = str(info.value)
    for part in ("agency pupr", "topic jalan_rusak", "channel_id", "default_location_id"):
        assert part in text


def test_unknown_agency_is_a_missing_mapping(mapped):
    with pytest.raises(MappingMissing, match="not in the profile"):
        compose_complaint(case(agency="nope"), [post("x")], mapped)


@pytest.mark.parametrize(
    "text, place",
    [
        ("Banjir lagi di Oesapa dekat pasar", "Oesapa"),
        ("Lapak di sekitar Pasar Oebobo tutup jalan", "Pasar Oebobo"),
        ("kelurahan Manutapen umumkan", None),
        ("Tolong Bapa di PU lihat ke sini", None),
        ("lampu jalan mati", None),
    ],
)
def test_find_place(text, place):
    assert find_place(text) == place


def test_photo_urls_come_from_the_stored_column_and_from_full_picture_of_older_rows():
    legacy = '{"id": "1_2", "full_picture": "https://scontent.xx.fbcdn.net/v/lama.jpg"}'
    posts = [
        SimpleNamespace(photo_urls=["https://pbs.twimg.com/media/A.jpg"], raw=None),
        SimpleNamespace(photo_urls=None, raw=legacy),  # stored before posts.photo_urls
        SimpleNamespace(photo_urls=["https://pbs.twimg.com/media/A.jpg", "javascript:x"], raw=None),
        SimpleNamespace(photo_urls=None, raw='{"message": "tanpa foto"}'),
    ]
    assert photo_urls(posts, 3) == [
        "https://pbs.twimg.com/media/A.jpg",
        "https://scontent.xx.fbcdn.net/v/lama.jpg",
    ]
    assert photo_urls(posts, 1) == ["https://pbs.twimg.com/media/A.jpg"]
