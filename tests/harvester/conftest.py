"""Fixtures of the harvester tests in more than one module: fake time, a session, tokens."""

from __future__ import annotations

import pytest

from harvester.http import PoliteSession
from tests.harvester.test_sources import Sleeps


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def http(sleeps):
    with PoliteSession(min_interval=0, sleep=sleeps, clock=sleeps.clock, max_retries=3) as session:
        yield session


@pytest.fixture(autouse=True)
def tokens(monkeypatch):
    monkeypatch.setenv("TEST_FB_TOKEN", "fb-token")
    monkeypatch.setenv("TEST_X_TOKEN", "x-test-token")
    monkeypatch.setenv("TEST_YT_KEY", "yt-test-key")
