"""A private Prefect server on 127.0.0.1 for `aduan serve` on a single machine."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from flows.deployments import privacy_env
from flows.exceptions import ServerDidNotStart

log = logging.getLogger(__name__)


# Prefect's embedded (ephemeral) API runs no scheduler, so served deployments would never be
# scheduled on it. Without ``PREFECT_API_URL``, `aduan serve` therefore starts ``prefect server
# start`` as a child process (its SQLite database in ``PREFECT_HOME``, i.e. under ADUAN_HOME;
# analytics off) and stops it on exit. No Prefect import here: it runs before prefect is imported.
class LocalPrefectServer:
    """``prefect server start`` on 127.0.0.1:``port`` as a child process of this one."""

    def __init__(self, home: Path, port: int, *, ui: bool = True) -> None:
        self.home = Path(home)
        self.port = port
        self.ui = ui
        self.log_path = self.home / "server.log"
        self._process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, timeout: float = 300) -> LocalPrefectServer:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **privacy_env(),
            "PREFECT_HOME": str(self.home),
        }
        env.pop("PREFECT_API_URL", None)
        command = [sys.executable, "-m", "prefect", "server", "start"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--ui" if self.ui else "--no-ui"]
        with self.log_path.open("ab") as out:
            # Same process group as `aduan serve`: Ctrl-C (or systemd stopping the service)
            # reaches the server too.
            self._process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerDidNotStart(
                    f"the local Prefect server exited (port {self.port} in use?); "
                    f"see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.api_url}/health", timeout=5).status_code == 200:
                    log.info("local Prefect server at %s", self.api_url)
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise ServerDidNotStart(
            f"the local Prefect server did not answer within {timeout:.0f}s; see {self.log_path}"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # what Ctrl-C does: the server shuts down cleanly
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)

    def __enter__(self) -> LocalPrefectServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
