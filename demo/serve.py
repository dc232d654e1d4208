"""What `aduan demo` leaves running and what it tells the data team."""

from __future__ import annotations

import logging
import os
import shlex
import sys
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

DEMO_TOKEN_ENV = "ADUAN_DEMO_FB_TOKEN"  # the fake page's token (a fake value)
FORWARD_EVERY_S = 3.0
STATUS_EVERY_S = 6.0
# What the data team's commands need in another shell: the demo's data, and the demo's own
# fake secrets (the fake page's token, the LAPOR! simulator's address and keys: demo values
# only, never a real secret; the fakes answer while `aduan demo` serves).
CONTINUED = (
    "ADUAN_DATABASE_URL",
    "ADUAN_MODELS_DIR",
    "ADUAN_PROFILE",
    DEMO_TOKEN_ENV,
    "ADUAN_LAPOR_BASE_URL",
    "ADUAN_LAPOR_API_KEY",
    "ADUAN_LAPOR_TOKEN",
    "ADUAN_LAPOR_PUBLIC_URL",
)
ENV_FILE = "aduan.env"


# While the demo's review app is served, the forward and status schedules run
# against the LAPOR! simulator (every few seconds instead of every 5 min / hourly), so a case a
# facilitator accepts moves pending -> sent -> Terverifikasi … in the "Terkirim" view. As in the
# forward flow, the replies the forwarding and the statuses make due follow each forward round.
class DemoSchedules:
    """The forward (then replies) and status steps on a background thread until ``stop()``."""

    def __init__(
        self,
        *,
        forward_every_s: float = FORWARD_EVERY_S,
        status_every_s: float = STATUS_EVERY_S,
        forward: Callable[[], dict] | None = None,
        status: Callable[[], dict] | None = None,
        replies: Callable[[], dict] | None = None,
    ) -> None:
        from lapor.forward import forward_due
        from lapor.replies.run import send_due_replies
        from lapor.status import sync_due

        self.forward_every_s, self.status_every_s = forward_every_s, status_every_s
        self._forward = forward or forward_due
        self._status = status or sync_due
        self._replies = replies or send_due_replies
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-schedules", daemon=True)
        self.runs = {"forward": 0, "replies": 0, "status": 0, "errors": 0}

    def start(self) -> DemoSchedules:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        next_status = 0.0
        clock = 0.0
        while not self._stop.is_set():
            self._step("forward", self._forward)
            self._step("replies", self._replies)
            if clock >= next_status:
                self._step("status", self._status)
                next_status = clock + self.status_every_s
            self._stop.wait(self.forward_every_s)
            clock += self.forward_every_s

    def _step(self, name: str, step: Callable[[], dict]) -> None:
        try:
            counts = step()
            self.runs[name] += 1
            log.debug("demo %s: %s", name, counts)
        except Exception:  # one failed round must not end the demo; the next round retries
            self.runs["errors"] += 1
            log.warning("demo %s round failed", name, exc_info=True)

    def __enter__(self) -> DemoSchedules:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def bin_folder() -> str:
    """The absolute folder of the running python (a venv's ``bin``, where ``aduan`` is too)."""
    return os.path.dirname(os.path.abspath(sys.executable))


# The demo's store, models and profile, written to ``<demo home>/aduan.env``
# with the install's bin folder first on PATH (so ``aduan`` is found in a new shell without
# activating the venv) and the demo's fake secrets, and printed with the exact commands that
# continue from them (``aduan models list``, ``aduan classify``, ``aduan run retrain``,
# ``aduan review serve``).
def continuation(env: dict[str, str], demo_home: Path, *, bin_dir: str | None = None) -> dict:
    """The env file and the exact commands that continue from the demo's data."""
    values = {name: env[name] for name in CONTINUED if name in env}
    path = Path(demo_home) / ENV_FILE
    lines = [
        "# Written by `aduan demo`: source it to work on the demo's store and models.",
        "# The secrets below are the demo's fakes (local fake page, LAPOR! simulator), not real.",
        f'export PATH={shlex.quote(bin_dir or bin_folder())}:"$PATH"',
    ]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = f"source {shlex.quote(str(path))}"
    commands = [
        "aduan models list",
        'aduan classify "Sampah di depan pasar Oeba belum diangkut dua minggu"',
        "aduan run retrain",
        "aduan review serve",
    ]
    return {"env_file": str(path), "env": values, "source": source, "commands": commands}


def continuation_text(info: dict) -> str:
    """The console block that says how to go on from the demo (copy and paste)."""
    body = "\n".join(f"  {c}" for c in info["commands"])
    return (
        "\nContinue with the demo's store and models (another shell; nothing else to set):\n"
        f"  {info['source']}\n{body}"
    )
