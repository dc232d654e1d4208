"""``aduan sources list|check``: the profile's sources.yaml."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cli.common import Profile, command_group, command_settings
from config.exceptions import ConfigError
from config.profile import get_profile
from harvester.config import load_sources, select_sources
from harvester.exceptions import HarvestError
from harvester.http import PoliteSession, user_agent
from harvester.sources import build_source
from lapor.replies.check import reply_checks

app = command_group()


def _session(folder: Path) -> Any:
    try:
        contact = get_profile(folder).contact
    except ConfigError:
        contact = None
    return PoliteSession(user_agent=user_agent(contact))


@app.command("list")
def sources_list(
    profile: Path | None = Profile,
) -> None:
    """List the sources of sources.yaml with their type, state, target and secret."""

    folder = command_settings(profile).profile
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
            "(they are skipped by `aduan run harvest`)",
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


@app.command("check")
def sources_check(
    profile: Path | None = Profile,
    source: list[str] | None = typer.Option(None, "--source", help="Only this source."),
) -> None:
    """Check each enabled source: config valid, secret present, one cheap request answered."""

    settings = command_settings(profile)
    folder = settings.profile
    configs, problems = load_sources(folder)
    chosen = select_sources(configs, [], source) if source else [c for c in configs if c.enabled]
    table = Table(title="sources check")
    for column in ("source", "config", "secret", "request"):
        table.add_column(column)
    failures = 0
    for problem in problems:
        if not source or problem.name in source:
            failures += 1
            table.add_row(problem.name, f"[red]{problem.field}: {problem.message}[/]", "-", "-")
    key = settings.author_key()
    with _session(folder) as http:
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

    checks = {n: c for n, c in reply_checks(folder).items() if not only or n in only}
    for name, (ok, message) in checks.items():
        typer.echo(f"replies {name}: {'ok: ' if ok else 'ERROR: '}{message}")
    return sum(not ok for ok, _ in checks.values())
