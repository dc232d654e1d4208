"""Prefect's environment, set at start-up: private by default, nothing in ~/.prefect."""

from __future__ import annotations

import os
from pathlib import Path

from flows.deployments import privacy_env

EPHEMERAL_STARTUP_TIMEOUT_S = 180


def prefect_defaults(home: Path) -> dict[str, str]:
    """The environment defaults for Prefect given Aduan's home folder."""
    defaults = {
        **privacy_env(),
        "PREFECT_HOME": str((home / "prefect").resolve()),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(EPHEMERAL_STARTUP_TIMEOUT_S),
    }
    if not os.environ.get("PREFECT_API_URL"):
        defaults["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "true"
    return defaults


# - No outbound calls and no result persistence unless configured: ``definitions.privacy`` of
#   ``flows/prefect.yaml``, the same defaults the workers' flow runs get.
# - ``PREFECT_HOME`` under ``ADUAN_HOME`` (its SQLite database, profiles and logs), so nothing is
#   written to ``~/.prefect`` unexpectedly.
# - Without ``PREFECT_API_URL`` Prefect starts its embedded (ephemeral) API for the run; it gets a
#   generous start-up timeout because a busy machine starts it slowly.
#
# Any of these the user has set in the environment is left as it is.
def configure_prefect(home: Path) -> dict[str, str]:
    """Put the defaults into ``os.environ`` where unset; returns what was set.

    Start-up, once per process before prefect is first used: ``aduan``'s root command, the
    tests' conftest and the benchmarks call it (``DO_NOT_TRACK`` counts at prefect's import).
    """
    applied = {}
    for name, value in prefect_defaults(Path(home)).items():
        if name not in os.environ:
            os.environ[name] = value
            applied[name] = value
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    return applied
