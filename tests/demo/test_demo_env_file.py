"""The env file `aduan demo` writes: a new shell that sources it finds `aduan` and the demo's
store, models, profile and fake secrets, without the venv being on PATH."""

import os
import subprocess
import sys
from pathlib import Path

from demo.serve import CONTINUED, continuation, continuation_text

DEMO_ENV = {
    "ADUAN_DATABASE_URL": "sqlite:////tmp/x y/aduan.sqlite3",
    "ADUAN_MODELS_DIR": "/tmp/x y/demo-models",
    "ADUAN_PROFILE": "/tmp/x y/profile",
    "ADUAN_DEMO_FB_TOKEN": "fake-demo-token",
    "ADUAN_LAPOR_BASE_URL": "http://127.0.0.1:5999",
    "ADUAN_LAPOR_API_KEY": "sim-key",
    "ADUAN_LAPOR_TOKEN": "sim-token",
    "ADUAN_LAPOR_PUBLIC_URL": "http://127.0.0.1:5999/pengaduan/{nomor}",
    "ADUAN_SOMETHING_ELSE": "not carried",
}


def _clean_path() -> str:
    """PATH without the folder of the running python (where `aduan` lives)."""
    venv_bin = os.path.dirname(os.path.abspath(sys.executable))
    keep = [p for p in os.environ["PATH"].split(os.pathsep) if p and p != venv_bin]
    return os.pathsep.join(p for p in keep if not (Path(p) / "aduan").exists()) or "/usr/bin:/bin"


def test_sourcing_the_env_file_finds_aduan_and_the_demo_settings(tmp_path):
    info = continuation(DEMO_ENV, tmp_path)
    script = (
        f"{info['source']} && command -v aduan && "
        + " && ".join(f'echo "{n}=${n}"' for n in CONTINUED)
        + ' && echo "ELSE=${ADUAN_SOMETHING_ELSE:-unset}"'
    )
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env={"PATH": _clean_path(), "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    venv_bin = os.path.dirname(os.path.abspath(sys.executable))
    assert lines[0] == os.path.join(venv_bin, "aduan")
    for name in CONTINUED:
        assert f"{name}={DEMO_ENV[name]}" in lines
    assert "ELSE=unset" in lines
    assert "source" in continuation_text(info) and info["env"]["ADUAN_DEMO_FB_TOKEN"]


def test_the_bin_folder_goes_first_and_keeps_the_rest_of_path(tmp_path):
    info = continuation(DEMO_ENV, tmp_path, bin_dir="/opt/a dir/bin")
    done = subprocess.run(
        ["bash", "-c", f'{info["source"]} && echo "$PATH"'],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "/opt/a dir/bin:/usr/bin:/bin"
