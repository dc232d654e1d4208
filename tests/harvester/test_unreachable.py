"""An unreachable source fails in seconds with one line, and the other sources carry on."""

from __future__ import annotations

import logging
import socket

import pytest

from harvester.exceptions import FetchFailed
from harvester.http import PoliteSession
from harvester.run import harvest_all
from tests.fakes.wordpress import FakeWordPress
from tests.harvester.test_sources import KEY, config


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_connection_fails_fast_with_one_line(closed_port, sleeps, caplog):
    caplog.set_level(logging.WARNING)
    with (
        PoliteSession(sleep=sleeps, clock=sleeps.clock) as http,  # default retries and timeouts
        pytest.raises(FetchFailed) as failure,
    ):
        http.get(f"http://127.0.0.1:{closed_port}/feeds/comments/default?alt=rss")
    message = str(failure.value)
    assert message == (
        f"http://127.0.0.1:{closed_port}/feeds/comments/default: cannot reach "
        f"127.0.0.1:{closed_port} (connection refused)"
    )
    assert http.requests_sent == 2 and sum(sleeps) <= 1.0  # one quick retry, not 5 backoffs
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "urllib3" not in warnings[0] and "object at 0x" not in warnings[0]


def test_an_unresolvable_host_fails_fast(sleeps):
    with (
        PoliteSession(sleep=sleeps, clock=sleeps.clock) as http,
        pytest.raises(FetchFailed, match=r"cannot reach .* \(host name not found\)"),
    ):
        http.get("http://kabar-kupang.invalid/feeds/comments/default")
    assert http.requests_sent == 2


def test_an_unreachable_source_stops_alone(closed_port, sleeps, session_factory):
    blog = config(name="blog", type="feed", url=f"http://127.0.0.1:{closed_port}/feeds/x")
    with FakeWordPress() as wp, PoliteSession(sleep=sleeps, clock=sleeps.clock) as http:
        wp_config = config(name="wp", type="wordpress_comments", base_url=wp.url)
        dead, alive = harvest_all(
            [blog, wp_config], factory=session_factory, http=http, author_key=KEY
        )
    assert "cannot reach" in dead.error and "\n" not in dead.error
    assert alive.ok and alive.new == 11
