"""Fixtures of the review app's tests: seeded cases, accounts, a logged-in test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from config.profile import get_profile
from review.auth import hash_password
from store.cases import create_case
from store.repository import upsert_posts
from store.tables import Classification, PostRow
from store.users import create_user
from tests.factories import T0, make_post

PASSWORD = "rahasia-sekali-123"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed_case(
    factory,
    i: int,
    *,
    agency: str = "pupr",
    topic: str = "jalan_rusak",
    confidence: float = 0.7,
    urgency: int = 1,
    source: str = "fb-kupang",
    text: str | None = None,
    duplicates: int = 0,
    **post_fields,
) -> int:
    """One open case (post ``i`` plus ``duplicates`` near-duplicates) with a classification."""
    with factory.begin() as session:
        posts = [make_post(i, source=source, text=text, **post_fields)]
        posts += [
            make_post(i * 1000 + d, source=source, text=f"{posts[0].text} (ulang {d})")
            for d in range(1, duplicates + 1)
        ]
        upsert_posts(session=session, posts=posts)
        rows = session.scalars(
            select(PostRow).where(
                PostRow.source == source,
                PostRow.external_id.in_([p.external_id for p in posts]),
            )
        ).all()
        rows = sorted(rows, key=lambda r: r.external_id != f"ext-{i}")
        session.add(
            Classification(
                post_id=rows[0].id,
                model_version="test",
                relevance=0.9,
                agency=agency,
                agency_confidence=confidence,
                topic=topic,
                topic_confidence=confidence,
                alternatives={
                    "agency": [[agency, confidence], ["dlhk", 0.2], ["pln", 0.1]],
                    "topic": [[topic, confidence], ["sampah", 0.2]],
                },
            )
        )
        case = create_case(
            session=session,
            post=rows[0],
            agency=agency,
            topic=topic,
            agency_confidence=confidence,
            topic_confidence=confidence,
            urgency=urgency,
        )
        from store.cases import attach_post

        for row in rows[1:]:
            attach_post(session=session, case=case, post=row)
        return case.id


def add_user(factory, name: str, role: str, agencies: list[str] | None = None) -> int:
    with factory.begin() as session:
        user = create_user(
            session=session,
            name=name,
            role=role,
            agencies=agencies or [],
            password_hash=hash_password(PASSWORD, n=2**10),
        )
        return user.id


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


@pytest.fixture
def app(session_factory):
    from review.app import create_app

    return create_app(factory=session_factory, profile=get_profile())


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def make_client(app):
    """Extra independent browsers (each with its own cookies)."""
    clients: list[TestClient] = []

    def build() -> TestClient:
        test_client = TestClient(app, base_url="http://testserver")
        clients.append(test_client)
        return test_client

    yield build
    for test_client in clients:
        test_client.close()


__all__ = ["T0", "timedelta"]
