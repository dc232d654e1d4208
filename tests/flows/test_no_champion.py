"""No champion model: `aduan run` and the flows themselves say so in one line, with a command
that trains one; that command, pasted into a shell, works."""

from __future__ import annotations

import os
import subprocess
import sys

from classifier.registry import Registry
from tests.flows.conftest import REPO, aduan_exe

IN_FLOW = """
from config.settings import load_settings
from flows.env import configure_prefect
configure_prefect(load_settings().home)
from flows.flows import pipeline_flow
state = pipeline_flow(max_pages=1, forward=False, return_state=True)
print("STATE", state.name, "|", state.message)
"""


def _env(world, models):
    return {**world["env"], "ADUAN_MODELS_DIR": str(models)}


def test_no_champion_is_one_line_with_a_command_that_works(world, tmp_path):
    models = tmp_path / "empty-registry"
    done = subprocess.run(
        [aduan_exe(), "run", "classify"],
        env=_env(world, models),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"error: no champion model in {models}; train one")
    command = lines[0].split(" with: ", 1)[1]
    assert command.startswith(f"ADUAN_MODELS_DIR={models} aduan train --data ")

    # pasted into a plain shell (no ADUAN_* set, aduan on PATH): trains and promotes a champion
    shell_env = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
    shell_env["PATH"] = f"{os.path.dirname(aduan_exe())}:{shell_env['PATH']}"
    shell_env["ADUAN_HOME"] = str(tmp_path / "shell-home")
    trained = subprocess.run(
        ["bash", "-c", command],
        env=shell_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert Registry(models).champion_version() is not None


def test_inside_a_flow_the_missing_model_fails_the_run_with_that_line(world, tmp_path):
    models = tmp_path / "empty-registry"
    done = subprocess.run(
        [sys.executable, "-c", IN_FLOW],
        env=_env(world, models),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    state = next(line for line in done.stdout.splitlines() if line.startswith("STATE"))
    assert state.startswith("STATE Failed | classify: no champion model in")
    assert "aduan train --data" in state
    assert "Traceback" not in done.stdout + done.stderr
    assert "NoChampion" not in done.stdout + done.stderr
