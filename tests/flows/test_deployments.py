"""flows/prefect.yaml is the one table `prefect deploy` and `aduan serve` serve; the CLI
parts that need no Prefect run (env defaults, bad schedules)."""

from __future__ import annotations

import os
import subprocess

import yaml

from flows.deployments import DEPLOYMENTS_FILE, build_deployments, privacy_env, schedules
from flows.env import configure_prefect, prefect_defaults
from tests.flows.conftest import aduan_exe

ENTRYPOINTS = {
    "pipeline": "flows/flows.py:pipeline_flow",
    "forward": "flows/flows.py:forward_flow",
    "status": "flows/flows.py:lapor_status_flow",
    "retrain": "flows/flows.py:retrain_flow",
}


def test_every_deployment_of_prefect_yaml_runs_the_flow_of_its_name():
    spec = yaml.safe_load(DEPLOYMENTS_FILE.read_text())
    deployed = {d["name"]: d for d in spec["deployments"]}
    assert (
        {s.deployment for s in schedules()}
        == set(deployed)
        == {f"aduan-{key}" for key in ENTRYPOINTS}
    )
    for item in schedules():
        entry = deployed[item.deployment]
        assert entry["entrypoint"] == ENTRYPOINTS[item.flow]
        assert entry["schedules"] == [{"cron": item.cron, "timezone": "Asia/Makassar"}]
        assert entry["work_pool"]["name"] == "aduan-process"
        # the workers' flow runs get the same private defaults as every `aduan` command
        env = entry["work_pool"]["job_variables"]["env"]
        assert privacy_env().items() <= env.items()
        assert env["DO_NOT_TRACK"] == "1"


def test_serve_builds_every_deployment_in_the_profile_timezone():
    deployments = build_deployments("Asia/Makassar", {"retrain": ""})
    by_name = {d.name: d for d in deployments}
    assert set(by_name) == {s.deployment for s in schedules()}
    pipeline = by_name["aduan-pipeline"].schedules[0].schedule
    assert (pipeline.cron, pipeline.timezone) == ("*/15 * * * *", "Asia/Makassar")
    assert by_name["aduan-retrain"].schedules == []  # an empty cron: on demand only
    only = build_deployments("UTC", {"forward": "*/2 * * * *"}, only={"forward"})
    assert [d.schedules[0].schedule.cron for d in only] == ["*/2 * * * *"]


def test_served_runs_get_the_profile_of_serve_as_a_parameter(tmp_path):
    """`aduan serve --profile X` writes no ADUAN_PROFILE: each served run gets X as its
    ``profile`` parameter and builds its settings with it."""
    from flows.flows import run_settings

    deployments = build_deployments("UTC", parameters={"profile": str(tmp_path)})
    assert all(d.parameters == {"profile": str(tmp_path)} for d in deployments)
    assert run_settings(None, str(tmp_path)).profile == tmp_path.resolve()
    assert "ADUAN_PROFILE" not in os.environ or os.environ["ADUAN_PROFILE"] != str(tmp_path)


def test_prefect_defaults_go_under_aduan_home_and_keep_user_settings(tmp_path, monkeypatch):
    defaults = prefect_defaults(tmp_path)
    assert defaults["DO_NOT_TRACK"] == "1"
    assert defaults["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert defaults["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "false"
    assert defaults["PREFECT_HOME"] == str((tmp_path / "prefect").resolve())
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    monkeypatch.setenv("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "true")  # the user's choice wins
    applied = configure_prefect(tmp_path)
    assert "PREFECT_RESULTS_PERSIST_BY_DEFAULT" not in applied
    assert os.environ["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "true"
    assert os.environ["PREFECT_HOME"] == str((tmp_path / "prefect").resolve())
    assert (tmp_path / "prefect").is_dir()


def test_serve_rejects_a_bad_cron_and_timezone_in_one_line(tmp_path):
    env = {**os.environ, "ADUAN_HOME": str(tmp_path)}
    for args in (["--pipeline-cron", "every day"], ["--timezone", "Mars/Olympus"]):
        done = subprocess.run(
            [aduan_exe(), "serve", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2
        assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1


def test_run_rejects_unknown_flow(tmp_path):
    done = subprocess.run(
        [aduan_exe(), "run", "nonsense"],
        env={**os.environ, "ADUAN_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
