"""Archived posts as triage leaves them (classified, below the threshold, no case)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from store.pipeline import archive_posts, save_classifications
from store.repository import upsert_posts
from store.tables import PostRow
from tests.factories import T0, make_post

ARCHIVED = [  # (i, text, relevance, agency, topic)
    (101, "Selamat pagi Kupang, semoga hari ini penuh berkat", 0.05, "dlhk", "sampah"),
    (102, "Air di Oepura su tiga hari sonde jalan, kami beli air tangki terus", 0.41, "pdam", None),
    (103, "Mantap min, terus semangat melayani warga", 0.12, "pupr", "jalan_rusak"),
    (104, "Lubang di Jl. Frans Seda makin besar, tadi ada motor jatuh lagi", 0.33, "pupr", None),
]


def seed_archive(factory, rows=ARCHIVED, source: str = "fb-kupang") -> dict[int, int]:
    """Store, classify and archive the posts; returns {i: post id}."""
    with factory.begin() as session:
        posts = [
            make_post(i, source=source, text=t, created_at=T0 + timedelta(hours=k))
            for k, (i, t, *_rest) in enumerate(rows)
        ]
        upsert_posts(session=session, posts=posts)
        ids = {
            int(ext.removeprefix("ext-")): pid
            for ext, pid in session.execute(
                select(PostRow.external_id, PostRow.id).where(PostRow.source == source)
            )
        }
        save_classifications(
            session=session,
            model_version="test",
            rows=[
                {
                    "post_id": ids[i],
                    "relevance": rel,
                    "agency": agency,
                    "agency_confidence": 0.4,
                    "topic": topic,
                    "topic_confidence": 0.3 if topic else None,
                    "alternatives": {},
                }
                for i, _t, rel, agency, topic in rows
            ],
        )
        archive_posts(session=session, post_ids=[ids[i] for i, *_ in rows])
    return {i: ids[i] for i, *_ in rows}
