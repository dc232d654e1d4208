"""The sender against the simulator on 127.0.0.1: faults, bad input, nothing lost or duplicated."""

import re
from collections import Counter

import pytest
from sqlalchemy import select

from lapor.exceptions import AuthRejected
from lapor.open311 import Open311Client, Open311Config, Open311Target
from lapor.outbox import RetryPolicy, send_due
from lapor.status import sync_status
from store.tables import Forward
from tests.lapor.conftest import approved_cases, client_for, outbox_rows

FAST = RetryPolicy(base_s=0, jitter=0, max_attempts=3)


def rows(factory) -> list[Forward]:
    with factory() as session:
        return list(session.scalars(select(Forward).order_by(Forward.id)))


def complaints_per_case(complaints: dict) -> Counter:
    refs = (re.search(r"Ref: aduan-(\d+)", c["content"]) for c in complaints.values())
    return Counter(int(m.group(1)) for m in refs if m)


def drain(factory, client, profile, **kw):
    """Run the sender until nothing is due (retries with backoff 0 are due at once)."""
    total = Counter()
    for _ in range(10):
        stats = send_due(factory=factory, client=client, profile=profile, policy=FAST, **kw)
        total.update({k: getattr(stats, k) for k in ("sent", "retried", "failed", "unknown")})
        if stats.attempts == 0:
            return total
    raise AssertionError("the outbox did not drain")


@pytest.mark.slow
def test_1000_cases_with_faults_none_lost_none_duplicated(
    session_factory, simulator_process, mapped
):
    sim = simulator_process(fault_rate=0.2, drop_after_commit=0.05, seed=5, retry_after_s=0)
    outbox_rows(session_factory, 1000)
    totals = drain(session_factory, client_for(sim), mapped, concurrency=4)
    complaints, counters = sim.complaints()
    per_case = complaints_per_case(complaints)
    states = Counter(r.state for r in rows(session_factory))
    assert set(states) <= {"sent", "failed", "unknown"}, states  # zero lost: nothing left over
    assert sum(states.values()) == 1000
    assert max(per_case.values()) == 1  # zero duplicated
    for row in rows(session_factory):
        if row.state == "sent":
            assert per_case[row.case_id] == 1
            content = complaints[int(row.complaint_id)]["content"]
            assert content.endswith(f"aduan-{row.case_id}")
        elif row.state == "failed":
            assert per_case[row.case_id] == 0
            assert row.last_error.startswith("gave up after 3 attempts: ")
        else:  # unknown: the connection dropped after LAPOR! stored it; a human decides
            assert per_case[row.case_id] == 1 and "may have been processed" in row.last_error
    assert states["unknown"] == counters["dropped_after_commit"] > 20
    assert states["sent"] > 900
    faults = counters["fault_503"] + counters["fault_429"]
    assert totals["retried"] + states["failed"] == faults  # each fault: one retry or the end
    assert states["sent"] + states["unknown"] == len(complaints)


def test_wrong_key_stops_the_run_without_a_retry_storm(session_factory, sim, mapped):
    approved_cases(session_factory, 20)
    for _ in range(2):
        with pytest.raises(AuthRejected) as info:
            send_due(
                factory=session_factory,
                client=client_for(sim, api_key="wrong"),
                profile=mapped,
                concurrency=4,
                policy=FAST,
            )
        assert info.value.stats.sent == 0
    assert sim.state.counters["auth_rejected"] <= 8  # at most one per worker and run
    for row in rows(session_factory):
        assert (row.state, row.attempts) == ("pending", 0)
        assert row.last_error is None or "rejected" in row.last_error


def test_validation_error_fails_with_lapors_field_messages(session_factory, sim, mapped):
    agencies = [
        a.model_copy(update={"lapor_disposition_id": 999}) if a.key == "pupr" else a
        for a in mapped.agencies
    ]
    wrong = mapped.model_copy(update={"agencies": agencies})
    approved_cases(session_factory, 2)
    stats = send_due(factory=session_factory, client=client_for(sim), profile=wrong, policy=FAST)
    assert (stats.failed, stats.retried, stats.sent) == (2, 0, 0)
    for row in rows(session_factory):
        assert row.state == "failed" and row.attempts == 1
        assert "disposition_id: The selected disposition_id is invalid." in row.last_error
    assert sim.state.complaints == {}


def test_missing_mapping_is_reported_and_not_sent_or_retried(session_factory, sim, kupang):
    approved_cases(session_factory, 3)
    stats = send_due(factory=session_factory, client=client_for(sim), profile=kupang)
    assert (stats.blocked, stats.attempts) == (3, 0)
    assert "agency pupr has no lapor_disposition_id" in stats.problems[0]
    again = send_due(factory=session_factory, client=client_for(sim), profile=kupang)
    assert (again.blocked, again.attempts) == (0, 0)  # not due again before the blocked delay
    for row in rows(session_factory):
        assert (row.state, row.attempts) == ("pending", 0)
        assert row.last_error.startswith("blocked: missing mapping")
    assert sim.state.counters == {}


def test_limit_and_repeated_runs_send_each_case_once(session_factory, sim, mapped):
    approved_cases(session_factory, 7)
    client = client_for(sim)
    first = send_due(factory=session_factory, client=client, profile=mapped, limit=5)
    assert first.sent == 5
    second = send_due(factory=session_factory, client=client, profile=mapped, concurrency=3)
    third = send_due(factory=session_factory, client=client, profile=mapped)
    assert (second.sent, third.attempts) == (2, 0)
    assert sorted(complaints_per_case(sim.state.complaints).values()) == [1] * 7


def test_open311_target_behind_the_same_outbox(session_factory, simulator, mapped):
    sim = simulator(step_s=10)
    config = Open311Config(
        base_url=sim.open311_url, api_key="simulator-open311-key", address_string="Kota Kupang"
    )
    target = Open311Target(Open311Client(config, timeout=5))
    approved_cases(session_factory, 3, targets=("lapor", "open311"))
    stats = send_due(
        factory=session_factory, client=client_for(sim), profile=mapped, extra_targets=[target]
    )
    assert stats.sent == 6
    by_target = Counter((r.target, r.state) for r in rows(session_factory))
    assert by_target == {("lapor", "sent"): 3, ("open311", "sent"): 3}
    request = next(iter(sim.state.requests_311.values()))
    assert request["service_code"] == "jalan_rusak" and "aduan-" in request["description"]
    sim.state.offset_s = 3600
    status = sync_status(factory=session_factory, client=None, extra_sources=[target])
    assert (status.polled, status.became_final) == (3, 3)


def test_open311_wrong_key_is_an_auth_error(session_factory, sim, mapped):
    config = Open311Config(base_url=sim.open311_url, api_key="wrong", address_string="Kupang")
    target = Open311Target(Open311Client(config, timeout=5))
    approved_cases(session_factory, 1, targets=("open311",))
    with pytest.raises(AuthRejected):
        send_due(factory=session_factory, client=None, profile=mapped, extra_targets=[target])
    assert rows(session_factory)[0].state == "pending"


def test_configured_targets_reads_open311_yaml(monkeypatch, tmp_path, mapped_folder):
    import shutil

    from config.settings import load_settings
    from lapor.outbox import configured_targets

    folder = tmp_path / "profile"
    shutil.copytree(mapped_folder, folder)
    (folder / "open311.yaml").write_text(
        "base_url: http://127.0.0.1:9/open311\naddress_string: Kota Kupang\n"
        "service_codes: {jalan_rusak: '042'}\n"
    )
    monkeypatch.setenv("ADUAN_PROFILE", str(folder))
    monkeypatch.setenv("ADUAN_OPEN311_API_KEY", "k")
    monkeypatch.delenv("ADUAN_LAPOR_API_KEY", raising=False)
    client, extra = configured_targets(load_settings())
    assert client is None and [t.name for t in extra] == ["open311"]
    assert extra[0].client.config.service_codes == {"jalan_rusak": "042"}


def test_pipeline_steps_send_and_poll_every_configured_target(
    monkeypatch, tmp_path, session_factory, simulator, mapped_folder
):
    """lapor.forward.forward_due / lapor.status.sync_due use the same targets as `aduan run
    forward`: LAPOR! from the settings and Open311 from the profile's open311.yaml."""
    import shutil

    from lapor.forward import forward_due
    from lapor.status import sync_due

    sim = simulator(step_s=10)
    folder = tmp_path / "profile"
    shutil.copytree(mapped_folder, folder)
    (folder / "open311.yaml").write_text(
        f"base_url: {sim.open311_url}\naddress_string: Kota Kupang\n"
    )
    for name, value in {
        "ADUAN_PROFILE": str(folder),
        "ADUAN_OPEN311_API_KEY": "simulator-open311-key",
        "ADUAN_LAPOR_BASE_URL": sim.url,
        "ADUAN_LAPOR_API_KEY": "simulator-key",
        "ADUAN_LAPOR_TOKEN": "simulator-token",
    }.items():
        monkeypatch.setenv(name, value)
    approved_cases(session_factory, 4, targets=("lapor", "open311"))
    sent = forward_due(factory=session_factory)
    assert (sent["sent"], sent["failed"], sent["unknown"]) == (8, 0, 0)
    assert Counter((r.target, r.state) for r in rows(session_factory)) == {
        ("lapor", "sent"): 4,
        ("open311", "sent"): 4,
    }
    sim.state.offset_s = 3600
    polled = sync_due(factory=session_factory)
    assert polled["polled"] == 8
