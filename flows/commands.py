"""Commands that run flows: `aduan run`, `aduan serve`, `aduan demo` (filled in by their issues)."""

import typer


def register(app: typer.Typer) -> None:
    """Add the flow commands to the root app."""
