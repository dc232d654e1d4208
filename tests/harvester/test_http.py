"""The polite session against a local fake: retries, Retry-After, timeouts, limits, identity."""

from __future__ import annotations

import socket

import pytest

from harvester.exceptions import (
    BadResponse,
    FetchFailed,
    ResponseTooLarge,
    Throttled,
    TooManyRedirects,
)
from harvester.http import PoliteSession, retry_after_seconds, user_agent
from tests.fakes.echo import FakeEcho


class Sleeps(list):
    """A stand-in for time.sleep that only records the waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake():
    with FakeEcho() as server:
        yield server


@pytest.fixture
def sleeps():
    return Sleeps()


def session(sleeps, **kw) -> PoliteSession:
    kw.setdefault("min_interval", 0)
    kw.setdefault("rng", lambda: 0.5)
    return PoliteSession(user_agent=user_agent("dinas@kupangkota.example"), sleep=sleeps, **kw)


def test_user_agent_names_aduan_and_the_contact(fake, sleeps):
    with session(sleeps) as http:
        data = http.get(f"{fake.url}/json").json()
    assert data["user_agent"].startswith("Aduan/")
    assert "dinas@kupangkota.example" in data["user_agent"]


def test_500_burst_is_retried_with_growing_backoff(fake, sleeps):
    fake.faults.status_burst(3, status=503)
    with session(sleeps, backoff_base=1.0) as http:
        response = http.get(f"{fake.url}/json")
    assert response.status == 200
    assert len(fake.requests) == 4
    assert sleeps == [0.75, 1.5, 3.0]  # base * 2**attempt, half fixed + rng()=0.5 of the rest


def test_jitter_stays_between_half_and_full_delay(sleeps):
    low = session(sleeps, rng=lambda: 0.0, backoff_base=2.0)
    high = session(sleeps, rng=lambda: 0.999, backoff_base=2.0)
    assert low.backoff(3) == 8.0
    assert 15.9 < high.backoff(3) <= 16.0
    assert session(sleeps, backoff_max=10).backoff(20) <= 10


def test_429_honours_retry_after(fake, sleeps):
    fake.faults.status_burst(2, status=429, retry_after=7)
    with session(sleeps) as http:
        assert http.get(f"{fake.url}/json").status == 200
    assert sleeps == [7.0, 7.0]


def test_retry_after_longer_than_allowed_stops_with_throttled(fake, sleeps):
    fake.faults.status_burst(1, status=429, retry_after=3600)
    with session(sleeps, max_wait=600) as http, pytest.raises(Throttled, match="3600"):
        http.get(f"{fake.url}/json")
    assert sleeps == []


def test_persistent_500_gives_up_with_a_clear_error(fake, sleeps):
    fake.faults.status_burst(10, status=500)
    with session(sleeps, max_retries=2) as http, pytest.raises(FetchFailed, match="HTTP 500"):
        http.get(f"{fake.url}/json")
    assert len(fake.requests) == 3


def test_read_timeout_is_retried(fake, sleeps):
    fake.faults.hang(1, seconds=1.0)
    with session(sleeps, read_timeout=0.2) as http:
        assert http.get(f"{fake.url}/json").json()["ok"] is True
    assert len(sleeps) == 1


def test_connection_refused_fails_after_one_quick_retry(sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        session(sleeps, max_retries=2) as http,
        pytest.raises(FetchFailed, match="connection refused"),
    ):
        http.get(f"http://127.0.0.1:{port}/json")
    assert len(sleeps) == 1


def test_truncated_json_is_retried_then_parsed(fake, sleeps):
    fake.faults.truncate(2)
    with session(sleeps) as http:
        assert http.get(f"{fake.url}/json", expect_json=True).json()["ok"] is True
    assert len(fake.requests) == 3


def test_always_truncated_json_is_a_bad_response(fake, sleeps):
    fake.faults.truncate(10)
    with session(sleeps, max_retries=2) as http, pytest.raises(BadResponse, match="not valid JSON"):
        http.get(f"{fake.url}/json", expect_json=True)


def test_invalid_utf8_is_refused_not_replaced(fake, sleeps):
    fake.faults.invalid_utf8(1)
    with session(sleeps) as http:
        response = http.get(f"{fake.url}/json")
    with pytest.raises(BadResponse, match="UTF-8"):
        response.json()
    with pytest.raises(BadResponse, match="cannot be decoded"):
        response.text()


@pytest.mark.parametrize("declare", [True, False])
def test_50_mb_body_is_cut_off(fake, sleeps, declare):
    fake.faults.huge_body(1, size=50 * 1024 * 1024, declare=declare)
    with session(sleeps, max_bytes=1024 * 1024) as http, pytest.raises(ResponseTooLarge):
        http.get(f"{fake.url}/json")


def test_redirect_loop_stops(fake, sleeps):
    fake.faults.redirect_loop(50)
    with session(sleeps, max_redirects=3) as http, pytest.raises(TooManyRedirects, match="3"):
        http.get(f"{fake.url}/json")
    assert len(fake.requests) <= 4


def test_per_host_rate_spaces_requests(fake, sleeps):
    now = [100.0]
    http = session(sleeps, clock=lambda: now[0])
    http.set_rate(fake.url, 2.0)
    for _ in range(3):
        http.get(f"{fake.url}/json")
    assert sleeps == [0.5, 1.0]  # the clock does not move: each request waits its turn


def test_pause_delays_the_next_request_to_that_host(fake, sleeps):
    http = session(sleeps, clock=lambda: 50.0)
    http.pause(fake.url, 30)
    http.get(f"{fake.url}/json")
    assert sleeps == [30.0]


def test_platform_callback_can_throttle(fake, sleeps):
    calls = []

    def throttled(response):
        calls.append(response.status)
        return 0.0 if len(calls) == 1 else None

    with session(sleeps) as http:
        assert http.get(f"{fake.url}/json", throttled=throttled).status == 200
    assert calls == [200, 200] and len(sleeps) == 1


def test_retry_after_parses_seconds_and_dates():
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
