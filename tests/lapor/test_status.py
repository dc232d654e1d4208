"""Status sync against the simulator: each change stored with LAPOR!'s time; final stops polling."""

from sqlalchemy import select

from lapor.outbox import send_due
from lapor.status import sync_status
from store.forward_status import status_history
from store.tables import Forward
from tests.lapor.conftest import approved_cases, client_for


def test_status_changes_are_stored_and_final_ones_are_not_polled(
    session_factory, simulator, mapped
):
    sim = simulator(step_s=100)
    client = client_for(sim)
    approved_cases(session_factory, 10)
    assert send_due(factory=session_factory, client=client, profile=mapped).sent == 10

    first = sync_status(factory=session_factory, client=client)
    assert (first.polled, first.changes, first.became_final) == (10, 10, 0)
    again = sync_status(factory=session_factory, client=client)
    assert (again.polled, again.changes) == (10, 0)  # nothing new: nothing stored

    sim.state.offset_s = 301  # three steps later
    done = sync_status(factory=session_factory, client=client)
    assert (done.polled, done.became_final) == (10, 10)
    assert done.changes == 9 * 3 + 2  # one in ten is Ditolak after Terverifikasi
    with session_factory() as session:
        for row in session.scalars(select(Forward)):
            history = status_history(session=session, forward_id=row.id)
            names = [h.status_name for h in history]
            if int(row.complaint_id) % 10 == 7:
                assert names == ["Belum Terverifikasi", "Terverifikasi", "Ditolak"]
            else:
                assert names == ["Belum Terverifikasi", "Terverifikasi", "Dalam Proses", "Selesai"]
            times = [h.changed_at for h in history]
            assert times == sorted(times) and (times[-1] - times[0]).total_seconds() >= 200
            assert row.status_final and row.status_name == names[-1]
    assert sync_status(factory=session_factory, client=client).polled == 0


def test_status_errors_are_counted_and_polled_again_later(session_factory, simulator, mapped):
    sim = simulator()
    approved_cases(session_factory, 3)
    send_due(factory=session_factory, client=client_for(sim), profile=mapped)
    sim.state.config.fault_rate = 1.0
    stats = sync_status(factory=session_factory, client=client_for(sim))
    assert (stats.polled, stats.errors) == (0, 3)
    sim.state.config.fault_rate = 0.0
    assert sync_status(factory=session_factory, client=client_for(sim)).polled == 3
