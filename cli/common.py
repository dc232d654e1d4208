"""What the command groups share: the command's settings (with --profile), the group style."""

from __future__ import annotations

from pathlib import Path

import typer

from config.settings import Settings, load_settings

PROFILE_HELP = "Profile folder (overrides ADUAN_PROFILE)."
Profile = typer.Option(None, "--profile", help=PROFILE_HELP)


def command_settings(profile: Path | None = None) -> Settings:
    """This command's settings, read from the environment, with ``--profile`` over
    ADUAN_PROFILE; a command builds them once and passes them down."""
    if profile is None:
        return load_settings()
    return load_settings(profile=profile.resolve())


def command_group() -> typer.Typer:
    """A command group of the root, with the root's help style."""
    return typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode="markdown")
