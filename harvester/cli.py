"""``aduan harvest`` and ``aduan sources list|check``."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

sources_app = typer.Typer(help="The profile's sources.yaml: list and check.", no_args_is_help=True)

PROFILE_HELP = "Profile folder (overrides ADUAN_PROFILE)."


def register(app: typer.Typer) -> None:
    """Add this package's commands to the root app."""
    app.command("harvest")(harvest)
    app.add_typer(sources_app, name="sources")


def _use_profile(profile: Path | None) -> Path:
    from store.settings import get_settings, reset_settings

    if profile is not None:
        os.environ["ADUAN_PROFILE"] = str(profile.resolve())
        reset_settings()
    return get_settings().profile


def _session() -> Any:
    from harvester.http import PoliteSession, user_agent
    from store.exceptions import ConfigError
    from store.profile import get_profile

    try:
        contact = get_profile().contact
    except ConfigError:
        contact = None
    return PoliteSession(user_agent=user_agent(contact))


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    from harvester.exceptions import HarvestError

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HarvestError(
            f"--since {value!r} is not a date (use 2026-11-01 or an ISO time)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _select(configs: list[Any], problems: list[Any], names: list[str] | None) -> list[Any]:
    from harvester.exceptions import SourceConfigError

    if not names:
        return [c for c in configs if c.enabled]
    by_name = {c.name: c for c in configs}
    broken = {p.name: p for p in problems}
    chosen = []
    for name in names:
        if name in broken:
            raise SourceConfigError(f"source {broken[name]}")
        if name not in by_name:
            raise SourceConfigError(f"no source named {name!r} in sources.yaml")
        chosen.append(by_name[name])
    return chosen


def harvest(
    profile: Path | None = typer.Option(None, "--profile", help=PROFILE_HELP),
    source: list[str] | None = typer.Option(
        None, "--source", help="Only this source (repeatable; runs it even if disabled)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Harvest from this date/time (ISO; UTC unless it has an offset)."
    ),
    max_pages: int | None = typer.Option(None, "--max-pages", min=1, help="Pages per source."),
) -> None:
    """Harvest new posts and comments of the enabled sources into the store."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from harvester.config import load_sources
    from harvester.run import harvest_all
    from store.db import session_factory
    from store.deployment_keys import author_key_for_store
    from store.settings import get_settings

    folder = _use_profile(profile)
    start_at = _parse_since(since)
    configs, problems = load_sources(folder)
    console = Console(stderr=True)
    for problem in problems:
        console.print(f"[yellow]warning[/]: sources.yaml: {problem} (source skipped)")
    chosen = _select(configs, problems, source)
    if not chosen:
        console.print("no enabled sources in sources.yaml; nothing to do")
        return
    factory = session_factory()
    key = author_key_for_store(factory=factory, settings=get_settings())
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(None),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with _session() as http, Progress(*columns, console=console) as progress:
        tasks = {c.name: progress.add_task(c.name, total=None, status="waiting") for c in chosen}

        def on_page(name: str, stats: Any) -> None:
            status = f"{stats.pages} pages, {stats.new} new, {stats.duplicates} duplicates"
            progress.update(tasks[name], status=status)

        results = harvest_all(
            chosen,
            factory=factory,
            http=http,
            author_key=key,
            since=start_at,
            max_pages=max_pages,
            on_start=lambda name: progress.update(tasks[name], status="fetching"),
            on_page=on_page,
        )
        for result in results:
            progress.update(
                tasks[result.source],
                total=1,
                completed=1,
                status="[red]error[/]" if result.error else "done",
            )
    table = Table(title="harvest")
    numbers = ("pages", "new", "duplicates", "skipped")
    for column in ("source", *numbers, "seconds", "error"):
        table.add_column(column, justify="right" if column in numbers else "left")
    for r in results:
        table.add_row(
            r.source,
            str(r.pages),
            str(r.new),
            str(r.duplicates),
            f"[yellow]{r.skipped}[/]" if r.skipped else "0",
            f"{r.seconds:.1f}",
            f"[red]{r.error}[/]" if r.error else "",
        )
    Console().print(table)
    for r in results:
        if r.skipped:
            console.print(
                f"[yellow]warning[/]: {r.source}: {r.skipped} malformed items skipped "
                "(each is logged with its position)"
            )
    total_new = sum(r.new for r in results)
    failed = [r.source for r in results if r.error]
    typer.echo(f"{total_new} new posts from {len(results)} sources; errors: {len(failed)}")
    for r in (r for r in results if getattr(r, "refused", 0)):
        typer.echo(f"{r.source}: {r.refused} posts refused by the database (see `sources list`)")
    if failed:
        raise typer.Exit(1)


@sources_app.command("list")
def sources_list(
    profile: Path | None = typer.Option(None, "--profile", help=PROFILE_HELP),
) -> None:
    """List the sources of sources.yaml with their type, state, target and secret."""
    from rich.console import Console
    from rich.table import Table

    from harvester.config import load_sources

    folder = _use_profile(profile)
    configs, problems = load_sources(folder)
    table = Table(title=f"{folder}/sources.yaml")
    for column in ("name", "type", "enabled", "target", "secret"):
        table.add_column(column)
    for config in configs:
        secret = "-"
        if config.token_env:
            secret = f"{config.token_env} " + (
                "set" if os.environ.get(config.token_env) else "[red]missing[/]"
            )
        table.add_row(
            config.name, config.type, "yes" if config.enabled else "no", _target(config), secret
        )
    for problem in problems:
        table.add_row(
            problem.name, "[red]invalid[/]", "-", f"{problem.field}: {problem.message}", "-"
        )
    Console().print(table)
    if problems:
        typer.echo(
            f"{len(problems)} invalid entries in {folder}/sources.yaml: fix them "
            "(they are skipped by `aduan harvest`)",
            err=True,
        )
        raise typer.Exit(2)


def _target(config: Any) -> str:
    for attribute in ("page_id", "ig_user_id", "url", "query", "channel_id"):
        value = getattr(config, attribute, None)
        if value:
            return f"{attribute}={value}"
    if getattr(config, "video_ids", None):
        return f"video_ids={','.join(config.video_ids)}"
    return config.base_url or ""


@sources_app.command("check")
def sources_check(
    profile: Path | None = typer.Option(None, "--profile", help=PROFILE_HELP),
    source: list[str] | None = typer.Option(None, "--source", help="Only this source."),
) -> None:
    """Check each enabled source: config valid, secret present, one cheap request answered."""
    from rich.console import Console
    from rich.table import Table

    from harvester.config import load_sources
    from harvester.exceptions import HarvestError
    from harvester.sources import build_source
    from store.settings import get_settings

    folder = _use_profile(profile)
    configs, problems = load_sources(folder)
    chosen = _select(configs, [], source) if source else [c for c in configs if c.enabled]
    table = Table(title="sources check")
    for column in ("source", "config", "secret", "request"):
        table.add_column(column)
    failures = 0
    for problem in problems:
        if not source or problem.name in source:
            failures += 1
            table.add_row(problem.name, f"[red]{problem.field}: {problem.message}[/]", "-", "-")
    key = get_settings().author_key()
    with _session() as http:
        for config in chosen:
            secret = "not needed"
            try:
                secret = f"{config.token_env} set" if config.token() else secret
                answer = build_source(config, http=http, author_key=key).check()
                table.add_row(config.name, "ok", secret, f"[green]ok[/]: {answer}")
            except HarvestError as exc:
                failures += 1
                if "is not set" in str(exc):
                    secret = f"[red]{config.token_env} missing[/]"
                table.add_row(config.name, "ok", secret, f"[red]{exc}[/]")
    Console().print(table)
    failures += _check_replies(folder, source)
    if not chosen and not problems:
        typer.echo("no enabled sources in sources.yaml")
    if failures:
        raise typer.Exit(1)


def _check_replies(folder: Path, only: list[str] | None) -> int:
    """Replies (the profile's replies.yaml): may each reply token post? Returns the failures."""
    from lapor.replies.check import reply_checks

    checks = {n: c for n, c in reply_checks(folder).items() if not only or n in only}
    for name, (ok, message) in checks.items():
        typer.echo(f"replies {name}: {'ok: ' if ok else 'ERROR: '}{message}")
    return sum(not ok for ok, _ in checks.values())
