"""The reroute sender (lapor.reroute.send_pending_reroutes) against the strict LAPOR! simulator:
accepted, refused (4xx, final), 503 (retried later), a dropped answer (LAPOR! read before any
resend); nothing is passed on twice. And the forward step sends a pending request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lapor.exceptions import AuthRejected
from lapor.outbox import RetryPolicy, send_due
from lapor.reroute import send_pending_reroutes
from store.reroutes import request_reroute
from store.tables import Case, Forward, Reroute
from tests.lapor.conftest import approved_cases, client_for

NO_JITTER = RetryPolicy(jitter=0.0)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def sent_case(factory, sim, mapped) -> tuple[int, str]:
    [case_id] = approved_cases(factory, 1)
    assert send_due(factory=factory, client=client_for(sim), profile=mapped).sent == 1
    with factory() as session:
        forward = session.scalars(select(Forward).where(Forward.case_id == case_id)).one()
    return case_id, forward.complaint_id


def ask(factory, mapped, case_id: int, agency: str = "dinkes", institution_id=None) -> int:
    with factory.begin() as session:
        return request_reroute(
            session=session,
            case_id=case_id,
            actor="nona",
            agency=agency,
            institution_id=institution_id or mapped.agency(agency).lapor_disposition_id,
            reason="Bukan wewenang Dinas PUPR: genangan air dan nyamuk DBD",
        ).id


def row(factory, reroute_id: int) -> tuple[Reroute, str]:
    with factory() as session:
        found = session.get(Reroute, reroute_id)
        return found, session.get(Case, found.case_id).agency


def send(factory, sim, mapped, clock=None, **client):
    return send_pending_reroutes(
        factory=factory,
        client=client_for(sim, **client),
        profile=mapped,
        policy=NO_JITTER,
        clock=clock or Clock(),
    )


def test_an_accepted_request_changes_the_agency_and_is_sent_once(session_factory, sim, mapped):
    case_id, complaint_id = sent_case(session_factory, sim, mapped)
    reroute_id = ask(session_factory, mapped, case_id)
    stats = send(session_factory, sim, mapped)
    assert (stats.sent, stats.failed, stats.retried) == (1, 0, 0)
    [passed] = sim.state.complaints[int(complaint_id)]["passed_on"]
    assert passed == {
        "is_request": 1,
        "reason": int(mapped.agency("dinkes").lapor_disposition_id),
        "reason_description": "Bukan wewenang Dinas PUPR: genangan air dan nyamuk DBD",
        "not_authority": 1,
    }
    found, agency = row(session_factory, reroute_id)
    assert (found.state, found.attempts, agency) == ("sent", 1, "dinkes")
    assert send(session_factory, sim, mapped).attempts == 0
    assert sim.state.counters["passed_on"] == 1


def test_a_refusal_is_final_and_keeps_the_agency(session_factory, sim, mapped):
    case_id, _ = sent_case(session_factory, sim, mapped)
    reroute_id = ask(session_factory, mapped, case_id, institution_id="999")  # unknown to LAPOR!
    stats = send(session_factory, sim, mapped)
    assert (stats.sent, stats.failed) == (0, 1)
    found, agency = row(session_factory, reroute_id)
    assert found.state == "failed" and agency == "pupr"
    assert "HTTP 422" in found.last_error and "reason (institution) is invalid" in found.last_error
    clock = Clock()
    clock.advance(86_400)
    assert send(session_factory, sim, mapped, clock).attempts == 0
    assert "passed_on" not in sim.state.counters


def test_a_503_is_retried_later_and_sent_once(session_factory, simulator, mapped):
    sim = simulator()
    case_id, complaint_id = sent_case(session_factory, sim, mapped)
    reroute_id = ask(session_factory, mapped, case_id)
    sim.state.config.fault_rate = 1.0  # 503 or 429, before anything changes
    clock = Clock()
    stats = send(session_factory, sim, mapped, clock)
    assert (stats.sent, stats.retried) == (0, 1)
    found, agency = row(session_factory, reroute_id)
    assert (found.state, agency) == ("pending", "pupr")
    assert found.next_attempt_at > clock.now
    sim.state.config.fault_rate = 0.0
    assert send(session_factory, sim, mapped, clock).attempts == 0  # not due yet
    clock.advance(NO_JITTER.base_s + 1)
    stats = send(session_factory, sim, mapped, clock)
    assert stats.sent == 1
    found, agency = row(session_factory, reroute_id)
    assert (found.state, found.attempts, agency) == ("sent", 2, "dinkes")
    assert len(sim.state.complaints[int(complaint_id)]["passed_on"]) == 1


def test_a_dropped_answer_is_checked_in_lapor_and_not_resent(session_factory, simulator, mapped):
    sim = simulator()
    case_id, complaint_id = sent_case(session_factory, sim, mapped)
    reroute_id = ask(session_factory, mapped, case_id)
    sim.state.config.drop_after_commit = 1.0  # LAPOR! passes it on, the answer never arrives
    clock = Clock()
    stats = send(session_factory, sim, mapped, clock)
    assert (stats.sent, stats.unknown) == (0, 1)
    found, agency = row(session_factory, reroute_id)
    assert (found.state, agency) == ("unknown", "pupr")
    sim.state.config.drop_after_commit = 0.0
    clock.advance(NO_JITTER.base_s + 1)
    stats = send(session_factory, sim, mapped, clock)
    assert (stats.sent, stats.confirmed) == (0, 1)  # read in LAPOR!: already there
    found, agency = row(session_factory, reroute_id)
    assert (found.state, agency) == ("sent", "dinkes")
    assert len(sim.state.complaints[int(complaint_id)]["passed_on"]) == 1


def test_a_rejected_key_stops_the_run_and_gives_the_request_back(session_factory, sim, mapped):
    case_id, _ = sent_case(session_factory, sim, mapped)
    reroute_id = ask(session_factory, mapped, case_id)
    with pytest.raises(AuthRejected):
        send(session_factory, sim, mapped, api_key="wrong")
    found, _ = row(session_factory, reroute_id)
    assert (found.state, found.attempts) == ("pending", 0)


def test_the_forward_step_sends_a_pending_reroute(
    session_factory, sim, mapped, mapped_folder, monkeypatch
):
    from lapor.forward import forward_due

    case_id, complaint_id = sent_case(session_factory, sim, mapped)
    reroute_id = ask(session_factory, mapped, case_id)
    for name, value in {
        "ADUAN_PROFILE": str(mapped_folder),
        "ADUAN_LAPOR_BASE_URL": sim.url,
        "ADUAN_LAPOR_API_KEY": "simulator-key",
        "ADUAN_LAPOR_TOKEN": "simulator-token",
    }.items():
        monkeypatch.setenv(name, value)
    result = forward_due(factory=session_factory)
    assert (result["sent"], result["reroutes_sent"], result["reroutes_failed"]) == (0, 1, 0)
    found, agency = row(session_factory, reroute_id)
    assert (found.state, agency) == ("sent", "dinkes")
    assert sim.state.counters["passed_on"] == 1
