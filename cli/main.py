"""The ``aduan`` command: the root of the one typer tree; each command's module is imported only
when that command runs, so ``aduan --help`` stays fast."""

from __future__ import annotations

import importlib
import logging
import sys
from dataclasses import dataclass
from difflib import get_close_matches
from importlib import metadata
from typing import Any

import typer
import typer.core
import typer.main

from config.settings import load_settings
from flows.env import configure_prefect


@dataclass(frozen=True)
class Entry:
    """A root command: the module that defines it, the name there, and its line in --help."""

    module: str
    attribute: str
    help: str


# The root's commands in --help order. A group is a typer.Typer named `app` in its module; a single
# command is a function. The help line of a single command is its docstring's first line.
COMMANDS: dict[str, Entry] = {
    "run": Entry("cli.run", "app", "Run one pipeline step now, as a Prefect flow run."),
    "serve": Entry(
        "cli.run",
        "serve",
        "Serve all scheduled deployments from this process (a single machine; Ctrl-C stops).",
    ),
    "train": Entry(
        "cli.models", "train", "Train relevance + label heads from files and save a model bundle."
    ),
    "evaluate": Entry("cli.models", "evaluate", "Score a model on labelled CSV files."),
    "classify": Entry(
        "cli.models",
        "classify",
        "Print relevance, labels, confidences and alternatives for texts.",
    ),
    "models": Entry("cli.models", "app", "Model registry: list, show, promote, rollback."),
    "data": Entry("cli.data", "app", "Labelled training data: import exports with provenance."),
    "sources": Entry("cli.sources", "app", "The profile's sources.yaml: list and check."),
    "lapor": Entry(
        "cli.lapor",
        "app",
        "SP4N-LAPOR!: reference data, mapping check, outbox, reconcile, reroute, simulator.",
    ),
    "replies": Entry(
        "cli.replies",
        "app",
        "Replies to citizens under their own comment, with the LAPOR! tracking number.",
    ),
    "review": Entry("cli.review", "app", "The facilitator review web app."),
    "users": Entry("cli.users", "app", "Review-app accounts."),
    "db": Entry("cli.db", "app", "Database schema: upgrade, current revision, downgrade."),
    "export": Entry("cli.export", "app", "Export stored data without loading it all in memory."),
    "demo": Entry(
        "cli.demo",
        "demo",
        "Run the whole job offline: fake Facebook page -> store -> classifier -> triage -> "
        "LAPOR! simulator, then the review app with a demo facilitator account.",
    ),
}


def load(name: str) -> Any:
    """The click command of root command ``name`` (its module imported now)."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)  # a group even when it has one command
        command.help = command.help or entry.help
    else:
        one = typer.Typer(add_completion=False, rich_markup_mode="markdown")
        one.command(name)(target)
        command = typer.main.get_command(one)
    command.name = name
    return command


class LazyGroup(typer.core.TyperGroup):
    """The root group: lists COMMANDS from their help lines, imports a command when it runs."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *self.commands]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        if self._listing:  # --help of the root: the help line is enough
            return typer.core.TyperCommand(name=cmd_name, help=COMMANDS[cmd_name].help)
        self.commands[cmd_name] = load(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and self.get_command(ctx, name) is None and not ctx.resilient_parsing:
            matches = get_close_matches(name, self.list_commands(ctx))
            hint = f" Did you mean {', '.join(repr(m) for m in matches)}?" if matches else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="aduan",
    cls=LazyGroup,
    help="Aduan: finds citizens' complaints on social media, tags them and forwards them "
    "to SP4N-LAPOR!.\n\n"
    "The pipeline's steps run with `aduan run STEP` (harvest, classify, triage, forward, "
    "replies, status, retrain, pipeline); `aduan serve` runs them on their schedules; "
    "`aduan train` trains a model from files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)

_debug = False


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks and debug logs."),
) -> None:
    """Aduan's command line. Configuration comes from ADUAN_* environment variables."""
    global _debug
    _debug = debug
    level = "DEBUG" if debug else load_settings().log_level.upper()
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


def main() -> None:
    """Entry point of the console script."""
    try:
        # Start-up: Prefect's private defaults in the environment before a command (or its
        # module) imports prefect.
        configure_prefect(load_settings().home)
        app()
    except Exception as exc:
        if _debug or not is_user_error(exc):
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
