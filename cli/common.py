"""What several command groups share: the --profile option."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from store.settings import get_settings, reset_settings

PROFILE_HELP = "Profile folder (overrides ADUAN_PROFILE)."
Profile = typer.Option(None, "--profile", help=PROFILE_HELP)


def use_profile(profile: Path | None) -> Path:
    """Apply --profile (for the whole process, as ADUAN_PROFILE); returns the profile folder."""
    if profile is not None:
        os.environ["ADUAN_PROFILE"] = str(profile.resolve())
        reset_settings()
    return get_settings().profile


def command_group() -> typer.Typer:
    """A command group of the root, with the root's help style."""
    return typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode="markdown")
