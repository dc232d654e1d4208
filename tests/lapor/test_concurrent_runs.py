"""Several sender runs and status-sync runs at once (threads, own connections) against the
simulator: each case reaches LAPOR! once, each status is polled and stored once, on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

from lapor.outbox import send_due
from lapor.status import StatusSource, sync_status
from store.tables import Forward, LaporStatusChange
from tests.flows.test_concurrency import run_at_once
from tests.lapor.conftest import approved_cases, client_for
from tests.lapor.test_outbox import complaints_per_case


def test_concurrent_sender_runs_send_each_case_once(session_factory, sim, mapped):
    cases = approved_cases(session_factory, 60)
    stats = run_at_once(
        lambda: send_due(
            factory=session_factory, client=client_for(sim), profile=mapped, concurrency=2
        )
    )
    assert sum(s.sent for s in stats) == len(cases)
    assert sum(s.attempts for s in stats) == len(cases)  # no row was claimed twice
    assert sorted(complaints_per_case(sim.state.complaints).items()) == [(c, 1) for c in cases]
    with session_factory() as session:
        states = Counter(session.scalars(select(Forward.state)))
    assert states == {"sent": len(cases)}


class CountingSource(StatusSource):
    """The LAPOR! status source, counting the polls of each complaint."""

    def __init__(self, client) -> None:
        super().__init__(client)
        self.polls: Counter[str] = Counter()
        self.lock = threading.Lock()

    def status(self, complaint_id: str):
        with self.lock:
            self.polls[complaint_id] += 1
        return super().status(complaint_id)


def test_concurrent_status_runs_poll_and_store_each_status_once(session_factory, simulator, mapped):
    sim = simulator(step_s=100)
    approved_cases(session_factory, 40)
    assert send_due(factory=session_factory, client=client_for(sim), profile=mapped).sent == 40
    sim.state.offset_s = 301  # every complaint has moved on to its final status
    source = CountingSource(client_for(sim))
    stats = run_at_once(lambda: sync_status(factory=session_factory, client=source))
    assert sum(s.polled for s in stats) == 40 and sum(s.became_final for s in stats) == 40
    assert sorted(source.polls.values()) == [1] * 40  # each complaint polled by one run
    with session_factory() as session:
        rows = session.execute(
            select(LaporStatusChange.forward_id, LaporStatusChange.status_name)
        ).all()
    assert max(Counter(rows).values()) == 1  # no status stored twice
    assert sum(s.changes for s in stats) == len(rows) == 36 * 4 + 4 * 3  # 1 in 10 is Ditolak
    assert sync_status(factory=session_factory, client=source).polled == 0
