"""What the command groups share: the command's settings (with --profile), the group style."""

from __future__ import annotations

from pathlib import Path

import click
import typer

from config.settings import Settings, load_settings

PROFILE_HELP = "Profile folder (overrides ADUAN_PROFILE)."
Profile = typer.Option(None, "--profile", help=PROFILE_HELP)


def command_settings(profile: Path | None = None) -> Settings:
    """This command's settings: the ones the root built from the environment (a fresh read when
    the command runs outside the root, as in a test), with ``--profile`` over ADUAN_PROFILE."""
    context = click.get_current_context(silent=True)
    settings = context.find_root().obj if context is not None else None
    if not isinstance(settings, Settings):
        settings = load_settings()
    if profile is not None:
        settings = settings.model_copy(update={"profile": profile.resolve()})
    return settings


def command_group() -> typer.Typer:
    """A command group of the root, with the root's help style."""
    return typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode="markdown")
