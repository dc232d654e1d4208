"""Commands of the classifier package (filled in by its issue)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this package's commands to the root app."""
