"""The ``aduan`` command: one typer app; each package adds its commands through ``<pkg>/cli.py``."""

from __future__ import annotations

import importlib
import logging
import sys
from importlib import metadata

import typer

app = typer.Typer(
    name="aduan",
    help="Aduan: finds citizens' complaints on social media, tags them and forwards them "
    "to SP4N-LAPOR!.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)

# Packages whose cli.py contributes commands, in the order they appear in --help.
COMMAND_MODULES = [
    "store.cli",
    "harvester.cli",
    "classifier.cli",
    "lapor.cli",
    "lapor.replies.cli",
    "review.cli",
    "flows.commands",
    "flows.retrain_cli",
    "demo.run",
]

_debug = False


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks and debug logs."),
) -> None:
    """Aduan's command line. Configuration comes from ADUAN_* environment variables."""
    global _debug
    _debug = debug
    from store.settings import get_settings

    level = "DEBUG" if debug else get_settings().log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def version() -> None:
    """Print the versions of Aduan and the libraries it depends on."""
    for name in ("aduan", "prefect", "scikit-learn", "PySastrawi", "SQLAlchemy", "alembic"):
        try:
            typer.echo(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            typer.echo(f"{name} (not installed)")


def is_user_error(exc: BaseException) -> bool:
    """Errors the user can fix: printed as one line with exit code 2 (traceback with --debug)."""
    return bool(getattr(type(exc), "user_error", False))


def _register_all() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(app)


def main() -> None:
    """Entry point of the console script."""
    _register_all()
    try:
        app()
    except Exception as exc:
        if _debug or not is_user_error(exc):
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
