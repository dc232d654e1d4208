"""``aduan run STEP``: one pipeline step now, as a Prefect flow run, with the command's settings;
``aduan serve``: every step on its schedule from this process."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from cli.common import Profile, command_group, command_settings
from config.profile import get_profile
from config.settings import Settings
from flows.deployments import build_deployments, schedules
from flows.exceptions import BadSchedule, UnknownFlow
from harvester.config import load_sources, select_sources
from harvester.exceptions import HarvestError
from lapor import DEFAULT_CONCURRENCY
from training.exceptions import RetrainBusy

app = command_group()

JSON_HELP = "Print the flow's result as JSON."
AsJson = typer.Option(False, "--json", help=JSON_HELP)


# Both use Prefect's embedded API unless PREFECT_API_URL is set; ``aduan serve`` starts its own
# local Prefect server instead (the embedded API runs no scheduler: flows/local_server.py).
# Prefect and scikit-learn take seconds to import: they are imported where a flow runs or the
# model is looked up, not when this module loads, so `aduan run --help` answers at once.
def _run(name: str, settings: Settings, **parameters: Any) -> Any:
    """Run flow ``name`` now with ``settings`` and return its result. A user error inside it
    (a rejected key) is raised again as itself: one line, exit 2; any other failure: exit 1."""
    from flows.flows import FLOWS

    state = FLOWS[name](**parameters, settings=settings, return_state=True)
    if state.is_completed():
        return state.result()
    error = state.result(raise_on_failure=False)
    if isinstance(error, Exception) and getattr(type(error), "user_error", False):
        raise error
    typer.echo(f"error: flow {name} ended {state.name}: {state.message or ''}", err=True)
    raise typer.Exit(1)


def _print(name: str, result: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result, default=str))
    else:
        typer.echo(f"{name}: {_one_line(result)}")


def _one_line(result: Any) -> str:
    if isinstance(result, dict):
        parts = []
        for key, value in result.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                continue  # per-source details: `--json` has them
            parts.append(
                f"{key}=({_one_line(value)})" if isinstance(value, dict) else f"{key}={value}"
            )
        return " ".join(parts)
    return str(result)


@app.command("pipeline")
def run_pipeline(
    max_pages: int | None = typer.Option(None, help="Stop each source after N pages."),
    forward: bool = typer.Option(True, help="Send the due outbox rows at the end."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Harvest -> classify -> triage -> forward, once."""
    settings = command_settings(profile)
    _require_champion(settings)
    _print("pipeline", _run("pipeline", settings, max_pages=max_pages, forward=forward), as_json)


def _require_champion(settings: Settings) -> None:
    """NoChampion (one line with the command that trains one, exit 2) before any flow starts."""
    from cases.scoring import champion_version

    champion_version(settings=settings)


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HarvestError(
            f"--since {value!r} is not a date (use 2026-11-01 or an ISO time)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("harvest")
def run_harvest(
    source: list[str] | None = typer.Option(
        None, "--source", help="Only this source (repeatable; runs it even if disabled)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Harvest from this date/time (ISO; UTC unless it has an offset)."
    ),
    max_pages: int | None = typer.Option(None, "--max-pages", min=1, help="Pages per source."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Harvest new posts and comments of the enabled sources (each as its own task) into the
    store; exit 1 if a source failed."""
    start_at = _parse_since(since)  # before the store is opened
    settings = command_settings(profile)
    configs, problems = load_sources(settings.profile)
    console = Console(stderr=True)
    for problem in problems:
        console.print(f"[yellow]warning[/]: sources.yaml: {problem} (source skipped)")
    if not select_sources(configs, problems, source):  # SourceConfigError: one line, exit 2
        console.print("no enabled sources in sources.yaml; nothing to do")
        return
    result = _run("harvest", settings, sources=source or None, since=start_at, max_pages=max_pages)
    if as_json:
        typer.echo(json.dumps(result, default=str))
    else:
        _print_harvest(result["per_source"], console)
    if result["failed"]:
        raise typer.Exit(1)


def _print_harvest(results: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="harvest")
    numbers = ("pages", "new", "duplicates", "skipped")
    for column in ("source", *numbers, "seconds", "error"):
        table.add_column(column, justify="right" if column in numbers else "left")
    for r in results:
        skipped = r.get("skipped", 0)
        table.add_row(
            r["source"],
            *(str(r.get(n, 0)) for n in ("pages", "new", "duplicates")),
            f"[yellow]{skipped}[/]" if skipped else "0",
            f"{r.get('seconds', 0.0):.1f}",
            f"[red]{r['error']}[/]" if r.get("error") else "",
        )
    Console().print(table)
    for r in results:
        if r.get("skipped"):
            console.print(
                f"[yellow]warning[/]: {r['source']}: {r['skipped']} malformed items skipped "
                "(each is logged with its position)"
            )
    total_new = sum(r.get("new", 0) for r in results)
    failed = [r for r in results if r.get("error")]
    typer.echo(f"{total_new} new posts from {len(results)} sources; errors: {len(failed)}")
    for r in results:
        if r.get("refused"):
            typer.echo(
                f"{r['source']}: {r['refused']} posts refused by the database (see `sources list`)"
            )


@app.command("classify")
def run_classify(
    batch_size: int = typer.Option(2000, help="Posts per batch (one task each)."),
    limit: int | None = typer.Option(None, help="Classify at most N posts."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Classify unclassified posts with the champion model (on Dask if ADUAN_DASK_ADDRESS)."""
    settings = command_settings(profile)
    _require_champion(settings)
    _print("classify", _run("classify", settings, batch_size=batch_size, limit=limit), as_json)


@app.command("triage")
def run_triage(profile: Path | None = Profile, as_json: bool = AsJson) -> None:
    """Archive non-complaints, group near-duplicates, auto-approve or queue cases."""
    settings = command_settings(profile)
    _print("triage", _run("triage", settings), as_json)


@app.command("forward")
def run_forward(
    limit: int | None = typer.Option(None, "--limit", min=1, help="Send at most N rows."),
    concurrency: int = typer.Option(
        DEFAULT_CONCURRENCY, "--concurrency", min=1, max=32, help="Requests in flight."
    ),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Send the due rows of the outbox to LAPOR! (and Open311 if the profile configures it),
    the facilitators' reroutes, then the replies they make due."""
    settings = command_settings(profile)
    try:
        result = _run("forward", settings, limit=limit, concurrency=concurrency)
    except Exception as exc:  # e.g. a rejected key: what was done before it, then the one line
        if getattr(exc, "stats", None) is not None and not as_json:
            _print_send_stats(dataclasses.asdict(exc.stats))
        raise
    if as_json:
        typer.echo(json.dumps(result, default=str))
        return
    _print_send_stats(result)
    reroutes = {k[len("reroutes_") :]: v for k, v in result.items() if k.startswith("reroutes_")}
    attempts = sum(
        reroutes.get(k, 0) for k in ("sent", "confirmed", "retried", "unknown", "failed")
    )
    if attempts or reroutes.get("recovered_unknown"):
        _print_reroute_stats(reroutes)
    if result.get("replies"):
        typer.echo(f"replies: {_one_line(result['replies'])}")


def _print_send_stats(stats: dict[str, Any]) -> None:
    typer.echo(
        f"sent {stats['sent']}, retry later {stats['retried']}, failed {stats['failed']}, "
        f"unknown {stats['unknown']}, blocked {stats['blocked']}"
        + (
            f", stale sending -> unknown {stats['recovered_unknown']}"
            if stats.get("recovered_unknown")
            else ""
        )
        + (f", conflicts {stats['conflicts']}" if stats.get("conflicts") else "")
    )
    for problem in stats.get("problems", [])[:20]:
        typer.echo(f"  {problem}")
    if stats["unknown"] or stats.get("recovered_unknown"):
        typer.echo(
            "unknown rows are never resent automatically: `aduan lapor outbox --state unknown`"
        )


def _print_reroute_stats(stats: dict[str, Any]) -> None:
    typer.echo(
        f"reroutes: passed on {stats['sent'] + stats['confirmed']}, retry later "
        f"{stats['retried']}, unknown {stats['unknown']}, refused or given up {stats['failed']}"
    )
    for problem in stats.get("problems", [])[:20]:
        typer.echo(f"  {problem}")


@app.command("replies")
def run_replies(
    limit: int | None = typer.Option(None, help="Send at most N replies."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Reply under the citizens' comments (replies.yaml; also part of `run forward`)."""
    settings = command_settings(profile)
    _print("replies", _run("replies", settings, limit=limit), as_json)


@app.command("status")
def run_status(
    limit: int | None = typer.Option(None, "--limit", min=1, help="Poll at most N complaints."),
    profile: Path | None = Profile,
    as_json: bool = AsJson,
) -> None:
    """Poll LAPOR! for complaints that are not final yet; store each status change with its
    time."""
    settings = command_settings(profile)
    stats = _run("status", settings, limit=limit)
    if as_json:
        typer.echo(json.dumps(stats, default=str))
        return
    typer.echo(
        f"polled {stats['polled']}, new status changes {stats['changes']}, "
        f"final now {stats['became_final']}, errors {stats['errors']}"
    )


@app.command("retrain")
def run_retrain(
    data: list[Path] = typer.Option(
        None, "--data", help="Extra labelled CSV with text and target columns (repeatable)."
    ),
    holdout_fraction: float = typer.Option(
        0.1,  # = training.dataset.HOLDOUT_FRACTION
        "--holdout-fraction",
        help="Latest fraction of texts (by time) held out.",
    ),
    seed: int = typer.Option(0, "--seed"),
    targets: str = typer.Option(
        None, "--targets", help="Label heads, e.g. agency,topic (default: the champion's)."
    ),
    min_class_size: int = typer.Option(
        None, "--min-class-size", help="Smaller classes left out (default: the champion's, or 30)."
    ),
    negatives: list[Path] = typer.Option(
        None,
        "--negatives",
        help="Non-complaint files (default: the profile's seed/non_complaints.csv).",
    ),
    promote: bool = typer.Option(True, "--promote/--no-promote", help="Promote if rules hold."),
    profile: Path | None = Profile,
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Train a challenger, judge it against the champion on held-out rows, promote by the rules.

    The training set is the imported labels plus facilitators' corrections plus any --data file;
    the latest --holdout-fraction of texts (by time) is held out and recorded in the manifest.
    """
    settings = command_settings(profile)
    result = _run(
        "retrain",
        settings,
        data=[p.resolve() for p in data or []],
        holdout_fraction=holdout_fraction,
        seed=seed,
        targets=[t.strip() for t in targets.split(",") if t.strip()] if targets else None,
        min_class_size=min_class_size,
        negatives=[p.resolve() for p in negatives] if negatives else None,
        promote=promote,
    )
    if result.get("skipped"):
        raise RetrainBusy(result["reasons"][0])
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, default=str))
        return
    typer.echo(result["training_on"])
    held = result["evaluation_set"]
    typer.echo(
        f"challenger {result['version']}: trained on {result['training_set']['n']} texts, "
        f"judged on {held['n']} held-out texts ({held['from'][:10]} .. {held['to'][:10]})"
    )
    for target, figures in result["challenger"].items():
        old = (result["champion"] or {}).get(target)
        line = (
            f"  {target}: accuracy {figures['accuracy']:.3f} "
            f"(all rows {figures.get('accuracy_all', 0):.3f}), macro-F1 {figures['macro_f1']:.3f}"
        )
        if old:
            line += f"  (champion {old['accuracy']:.3f}, {old['macro_f1']:.3f})"
        typer.echo(line)
    verdict = "promoted to champion" if result["promoted"] else "NOT promoted; champion kept"
    typer.echo(f"{verdict}:")
    for reason in result["reasons"] + result["notes"]:
        typer.echo(f"  - {reason}")
    typer.echo(f"model card: {result['card']}")


def serve(
    only: list[str] | None = typer.Option(
        None, "--only", help="Serve only this flow (pipeline, forward, status, retrain; repeat)."
    ),
    timezone: str | None = typer.Option(
        None, help="Timezone of the schedules (default: the profile's, Asia/Makassar for Kupang)."
    ),
    pipeline_cron: str | None = typer.Option(
        None, help="Pipeline cron (default: flows/prefect.yaml)."
    ),
    forward_cron: str | None = typer.Option(
        None, help="Forwarding cron (default: flows/prefect.yaml)."
    ),
    status_cron: str | None = typer.Option(
        None, help="Status-sync cron (default: flows/prefect.yaml)."
    ),
    retrain_cron: str | None = typer.Option(
        None, help="Retraining cron (default: flows/prefect.yaml)."
    ),
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
    settings = command_settings(profile)

    tz = timezone or get_profile(settings.profile).timezone
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
    known = {s.flow for s in schedules()}
    if only and not set(only) <= known:
        raise UnknownFlow(f"--only takes {', '.join(sorted(known))}; got {', '.join(only)}")
    for key, value in crons.items():
        _check_cron(key, value)
    # The served flow runs (subprocesses) read their settings from the environment when they
    # start; --profile reaches them as a deployment parameter.
    parameters = {"profile": str(settings.profile)} if profile is not None else {}
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    from flows.local_server import LocalPrefectServer

    api_url = PREFECT_API_URL.value()
    if api_url:
        _serve(tz, crons, only, limit, parameters)
        return
    # Prefect's settings (not os.environ) carry the local server's URL to the runner and to each
    # flow run it starts.
    server = LocalPrefectServer(Path(PREFECT_HOME.value()), port).start()
    typer.echo(f"local Prefect server (UI and API): http://127.0.0.1:{port}")
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            _serve(tz, crons, only, limit, parameters)
    finally:
        server.stop()


def _serve(
    tz: str,
    crons: dict[str, str],
    only: list[str] | None,
    limit: int | None,
    parameters: dict[str, Any],
) -> None:
    try:
        deployments = build_deployments(
            tz, crons, only=set(only) if only else None, parameters=parameters
        )
    except ValueError as exc:
        raise BadSchedule(str(exc)) from None
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL

    typer.echo(f"serving {len(deployments)} deployments (timezone {tz}); Ctrl-C stops")
    typer.echo(another_shell_hint(PREFECT_API_URL.value(), deployments))
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
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadSchedule(f"unknown timezone {tz!r} (e.g. Asia/Makassar)") from None


def _check_cron(flow_name: str, expression: str) -> None:
    if not expression:
        return
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=expression)
    except ValueError:
        raise BadSchedule(f"--{flow_name}-cron {expression!r} is not a cron expression") from None
