"""Issue 19 item 5: a Retry-After of ``inf``, ``1e12`` or garbage never crashes a forward run
(the claimed rows stay retryable, never ``unknown``) nor a harvest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from harvester.http import MAX_RETRY_AFTER_S, retry_after_seconds
from lapor.client import MAX_RETRY_AFTER_S as LAPOR_MAX
from lapor.client import retry_after
from lapor.outbox import RetryPolicy, send_due
from store.tables import Forward
from tests.lapor.conftest import approved_cases, client_for

HOSTILE = [
    "inf",
    "Infinity",
    "-inf",
    "nan",
    "1e12",
    "1e400",
    "99999999999999999999",
    "-5",
    "soon",
    "",
    "  ",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Mon, 01 Jan 0001 00:00:00 GMT",
    "\x00",
    "1" * 5000,
]


def _response(value: str) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    response.headers["Retry-After"] = value
    return response


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_retry_after_values_are_finite_and_bounded(value):
    for parsed, bound in (
        (retry_after(_response(value)), LAPOR_MAX),
        (retry_after_seconds(value), MAX_RETRY_AFTER_S),
    ):
        assert parsed is None or 0 <= parsed <= bound
        if parsed is not None:
            datetime.now(UTC) + timedelta(seconds=parsed)  # usable as a delay


def test_sane_retry_after_values_are_kept():
    assert retry_after(_response("7")) == 7
    assert retry_after_seconds("120") == 120
    soon = (datetime.now(UTC) + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 80 <= retry_after(_response(soon)) <= 90
    assert retry_after(_response("1e12")) == LAPOR_MAX


@pytest.mark.parametrize("seconds", [float("inf"), 1e12])
def test_a_forward_run_survives_an_infinite_retry_after(
    session_factory, simulator, mapped, seconds
):
    sim = simulator(fault_rate=1.0, retry_after_s=seconds)
    approved_cases(session_factory, 2)
    policy = RetryPolicy(base_s=0, jitter=0, max_attempts=20)
    stats = send_due(factory=session_factory, client=client_for(sim), profile=mapped, policy=policy)
    assert stats.unknown == 0
    with session_factory() as session:
        rows = session.scalars(select(Forward)).all()
    assert {r.state for r in rows} == {"pending"}
    latest = datetime.now(UTC) + timedelta(seconds=LAPOR_MAX + 60)
    assert all(r.next_attempt_at <= latest for r in rows)
