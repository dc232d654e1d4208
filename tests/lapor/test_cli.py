"""``aduan lapor ...``, ``aduan run forward`` and ``aduan run status`` end to end against the
simulator."""

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from demo.lapor_simulator import SIM_CLASSIFICATION_ID, SIM_USER_ID
from lapor.exceptions import AuthRejected, ReconcileError
from tests.lapor.conftest import KUPANG, approved_cases


@pytest.fixture
def run(monkeypatch, sim, engine):
    monkeypatch.setenv("ADUAN_LAPOR_BASE_URL", sim.url)
    monkeypatch.setenv("ADUAN_LAPOR_API_KEY", "simulator-key")
    monkeypatch.setenv("ADUAN_LAPOR_TOKEN", "simulator-token")
    monkeypatch.setenv("ADUAN_PROFILE", str(KUPANG))

    def invoke(*args, **env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return CliRunner().invoke(app, list(args))

    return invoke


def test_reference_check_map_forward_status_reconcile(run, session_factory, tmp_path):
    result = run("lapor", "sync-reference")
    assert result.exit_code == 0, result.output
    assert "institution: 16" in result.output and "category: 17" in result.output

    result = run("lapor", "check")
    assert result.exit_code == 1
    assert "agency dlhk (Dinas Lingkungan Hidup dan Kebersihan Kota Kupang)" in result.output
    assert "lapor.channel_id: not set" in result.output
    assert "lapor.user_id: not set" in result.output
    assert "lapor.classification_id: not set" in result.output
    assert "area kel_oebobo (kelurahan Oebobo): no lapor_location_id" in result.output

    result = run("lapor", "map", "--auto", "--channel-id", "1")
    mapping = yaml.safe_load(result.stdout)  # stderr: the areas matched, ambiguous, missing
    assert mapping["agencies"]["dlhk"] == "101" and mapping["lapor"]["default_location_id"] == "301"

    out = tmp_path / "mapped"
    ids = ["--user-id", str(SIM_USER_ID), "--classification-id", str(SIM_CLASSIFICATION_ID)]
    result = run("lapor", "map", "--auto", "--channel-id", "1", *ids, "--out", str(out))
    assert result.exit_code == 0, result.output
    written = (out / "taxonomy.yaml").read_text()
    assert "# LAPOR! channel id" in written and f"user_id: {SIM_USER_ID}" in written
    result = run("lapor", "check", ADUAN_PROFILE=str(out))
    assert result.exit_code == 0, result.output

    approved_cases(session_factory, 2)
    result = run("run", "forward", "--limit", "5")
    assert result.exit_code == 0, result.output
    assert "sent 2, retry later 0, failed 0, unknown 0, blocked 0" in result.output

    result = run("run", "status")
    assert "polled 2, new status changes 2" in result.output
    result = run("lapor", "outbox", "--state", "sent")
    assert "sent: 2" in result.output and "status Belum Terverifikasi" in result.output

    result = run("lapor", "reconcile", "1", "--actor", "nona", "--resend")
    assert isinstance(result.exception, ReconcileError)


def test_forward_with_an_unmapped_profile_reports_blocked_rows(run, session_factory):
    approved_cases(session_factory, 1)
    result = run("run", "forward")
    assert result.exit_code == 0, result.output
    assert "blocked 1" in result.output and "missing mapping" in result.output


def test_forward_with_a_wrong_key_is_one_auth_error(run, session_factory, mapped_folder):
    approved_cases(session_factory, 3)
    result = run("run", "forward", ADUAN_LAPOR_API_KEY="wrong", ADUAN_PROFILE=str(mapped_folder))
    assert isinstance(result.exception, AuthRejected)
    assert "sent 0" in result.output


def test_reroute_a_sent_case(run, session_factory, mapped_folder, sim):
    [case_id] = approved_cases(session_factory, 1)
    profile = {"ADUAN_PROFILE": str(mapped_folder)}
    assert "sent 1" in run("run", "forward", **profile).output
    args = ["lapor", "reroute", str(case_id), "--agency", "dinkes", "--actor", "nona"]
    result = run(*args, "--reason", "Bukan wewenang PUPR", **profile)
    assert result.exit_code == 0, result.output
    assert f"case {case_id} (LAPOR! " in result.output and "passed to dinkes" in result.output
    assert sim.state.counters["passed_on"] == 1
    again = run(*args, "--reason", "lagi", **profile)
    assert again.exit_code != 0 and "already with dinkes" in str(again.exception)
