"""Small builders of test objects (posts, ...) shared by the test folders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harvester.models import Post

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def make_post(i: int, *, source: str = "test-source", text: str | None = None, **kw) -> Post:
    """A valid Post numbered ``i`` (its text and times derived from ``i``)."""
    values = dict(
        source=source,
        external_id=f"ext-{i}",
        url=f"https://example.test/p/{i}",
        author_ref=None,
        text=text if text is not None else f"jalan rusak di RT {i % 17} mohon diperbaiki no {i}",
        created_at=T0 + timedelta(minutes=i),
        fetched_at=T0 + timedelta(days=1),
        parent_external_id=None,
        raw=None,
    )
    values.update(kw)
    return Post(**values)
