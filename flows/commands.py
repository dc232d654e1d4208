"""``aduan run <flow>`` (one flow now, on Prefect's embedded API unless PREFECT_API_URL is set)
and ``aduan serve`` (every scheduled deployment from this one process, ``prefect.serve``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

run_app = typer.Typer(
    help="Run one flow now (embedded Prefect API unless PREFECT_API_URL is set).",
    no_args_is_help=True,
)

PROFILE_HELP = "Profile folder (overrides ADUAN_PROFILE)."
JSON_HELP = "Print the flow's result as JSON."
NEEDS_MODEL = ("pipeline", "classify")


def register(app: typer.Typer) -> None:
    """Add the flow commands to the root app."""
    app.add_typer(run_app, name="run")
    app.command("serve")(serve)


def _prepare(profile: Path | None) -> None:
    """Apply --profile, then Prefect's private defaults (before prefect is imported)."""
    from flows.env import configure_prefect
    from store.settings import reset_settings

    if profile is not None:
        os.environ["ADUAN_PROFILE"] = str(profile.resolve())
        reset_settings()
    configure_prefect()


def _run(name: str, profile: Path | None, as_json: bool, **parameters: Any) -> None:
    from flows.exceptions import UnknownFlow

    _prepare(profile)
    from flows.flows import FLOWS

    if name not in FLOWS:
        raise UnknownFlow(f"no flow named {name!r}; one of: {', '.join(FLOWS)}")
    if name in NEEDS_MODEL:
        from cases.scoring import champion_version

        champion_version()  # NoChampion: one line with the command that trains one, exit 2
    state = FLOWS[name](**parameters, return_state=True)
    if not state.is_completed():
        typer.echo(f"error: flow {name} ended {state.name}: {state.message or ''}", err=True)
        raise typer.Exit(1)
    result = state.result()
    if as_json:
        typer.echo(json.dumps(result, default=str))
    else:
        typer.echo(f"{name}: {_one_line(result)}")


def _one_line(result: Any) -> str:
    if isinstance(result, dict):
        parts = []
        for key, value in result.items():
            parts.append(
                f"{key}=({_one_line(value)})" if isinstance(value, dict) else f"{key}={value}"
            )
        return " ".join(parts)
    return str(result)


Profile = typer.Option(None, "--profile", help=PROFILE_HELP)
AsJson = typer.Option(False, "--json", help=JSON_HELP)


@run_app.command("pipeline")
def run_pipeline(
    max_pages: int | None = typer.Option(None, help="Stop each source after N pages."),
    forward: bool = typer.Option(True, help="Send the due outbox rows at the end."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Harvest -> classify -> triage -> forward, once."""
    _run("pipeline", profile, as_json, max_pages=max_pages, forward=forward)


@run_app.command("harvest")
def run_harvest(
    source: list[str] | None = typer.Option(None, "--source", help="Only this source (repeat)."),
    max_pages: int | None = typer.Option(None, help="Stop each source after N pages."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Harvest every enabled source (each as its own task)."""
    _run("harvest", profile, as_json, sources=source or None, max_pages=max_pages)


@run_app.command("classify")
def run_classify(
    batch_size: int = typer.Option(2000, help="Posts per batch (one task each)."),
    limit: int | None = typer.Option(None, help="Classify at most N posts."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Classify unclassified posts with the champion model (on Dask if ADUAN_DASK_ADDRESS)."""
    _run("classify", profile, as_json, batch_size=batch_size, limit=limit)


@run_app.command("triage")
def run_triage(profile: Path | None = Profile, as_json: bool = AsJson) -> None:
    """Archive non-complaints, group near-duplicates, auto-approve or queue cases."""
    _run("triage", profile, as_json)


@run_app.command("forward")
def run_forward(
    limit: int | None = typer.Option(None, help="Send at most N."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Send the due LAPOR! outbox rows, then the replies they make due."""
    _run("forward", profile, as_json, limit=limit)


@run_app.command("replies")
def run_replies(
    limit: int | None = typer.Option(None, help="Send at most N replies."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Reply under the citizens' comments (replies.yaml; also part of `run forward`)."""
    _run("replies", profile, as_json, limit=limit)


@run_app.command("status")
def run_status(
    limit: int | None = typer.Option(None, help="Poll at most N complaints."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Sync the LAPOR! status of forwarded complaints."""
    _run("status", profile, as_json, limit=limit)


@run_app.command("retrain")
def run_retrain(profile: Path | None = Profile, as_json: bool = AsJson) -> None:
    """Train a challenger model."""
    _run("retrain", profile, as_json)


def serve(
    only: list[str] | None = typer.Option(
        None, "--only", help="Serve only this flow (pipeline, forward, status, retrain; repeat)."
    ),
    timezone: str | None = typer.Option(
        None, help="Timezone of the schedules (default: the profile's, Asia/Makassar for Kupang)."
    ),
    pipeline_cron: str | None = typer.Option(None, help="Cron of the pipeline (*/15 * * * *)."),
    forward_cron: str | None = typer.Option(None, help="Cron of the forwarding (*/5 * * * *)."),
    status_cron: str | None = typer.Option(None, help="Cron of the status sync (7 * * * *)."),
    retrain_cron: str | None = typer.Option(None, help="Cron of the retraining (0 2 * * 0)."),
    limit: int | None = typer.Option(None, help="At most N flow runs at the same time."),
    port: int = typer.Option(
        4200, help="Port of the local Prefect server (UI + API) when PREFECT_API_URL is unset."
    ),
    profile: Path | None = Profile,
) -> None:
    """Serve all scheduled deployments from this process (a single machine; Ctrl-C stops).

    Without PREFECT_API_URL a private Prefect server is started on 127.0.0.1:PORT (its
    database under ADUAN_HOME/prefect; Prefect's embedded API has no scheduler) and stopped
    on exit.
    """
    from flows.deployments import SCHEDULES
    from flows.exceptions import UnknownFlow

    _prepare(profile)
    from store.profile import get_profile

    tz = timezone or get_profile().timezone
    _check_timezone(tz)
    crons = {
        key: value
        for key, value in (
            ("pipeline", pipeline_cron),
            ("forward", forward_cron),
            ("status", status_cron),
            ("retrain", retrain_cron),
        )
        if value is not None
    }
    known = {s.flow for s in SCHEDULES}
    if only and not set(only) <= known:
        raise UnknownFlow(f"--only takes {', '.join(sorted(known))}; got {', '.join(only)}")
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        from flows.local_server import LocalPrefectServer

        # set before prefect is imported, so that every part of it (and each flow run) uses it
        server = LocalPrefectServer(Path(os.environ["PREFECT_HOME"]), port)
        os.environ["PREFECT_API_URL"] = server.api_url
    for key, value in crons.items():
        _check_cron(key, value)
    if server is not None:
        server.start()
        typer.echo(f"local Prefect server (UI and API): http://127.0.0.1:{port}")
    try:
        _serve(tz, crons, only, limit)
    finally:
        if server is not None:
            server.stop()


def _serve(tz: str, crons: dict[str, str], only: list[str] | None, limit: int | None) -> None:
    from prefect import serve as prefect_serve

    from flows.deployments import build_deployments
    from flows.exceptions import BadSchedule

    try:
        deployments = build_deployments(tz, crons, only=set(only) if only else None)
    except ValueError as exc:
        raise BadSchedule(str(exc)) from None
    typer.echo(f"serving {len(deployments)} deployments (timezone {tz}); Ctrl-C stops")
    typer.echo(another_shell_hint(os.environ["PREFECT_API_URL"], deployments))
    prefect_serve(*deployments, limit=limit)


def another_shell_hint(api_url: str, deployments: list) -> str:
    """How to run a served deployment from another shell. Without PREFECT_API_URL there,
    `prefect deployment run` would start an ephemeral server of its own on a locked database."""
    names = [f"{d.flow_name}/{d.name}" for d in deployments]
    return (
        "to run a deployment now from another shell, point it at this server first:\n"
        f"  export PREFECT_API_URL={api_url}\n"
        f"  prefect deployment run {names[0] if names else 'FLOW/DEPLOYMENT'}"
        + (f"   (also: {', '.join(names[1:])})" if len(names) > 1 else "")
    )


def _check_timezone(tz: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from flows.exceptions import BadSchedule

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadSchedule(f"unknown timezone {tz!r} (e.g. Asia/Makassar)") from None


def _check_cron(flow_name: str, expression: str) -> None:
    from prefect._vendor.croniter import croniter  # what Prefect validates schedules with

    from flows.exceptions import BadSchedule

    if expression and not croniter.is_valid(expression):
        raise BadSchedule(f"--{flow_name}-cron {expression!r} is not a cron expression")
