"""``aduan review serve``: the facilitator review web app."""

from __future__ import annotations

import typer

from cli.common import command_group, command_settings
from review.app import create_app
from review.serve import port_problem, run_server

app = command_group()


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on.", min=1, max=65535),
    workers: int = typer.Option(1, min=1, help="Worker processes (one per CPU core at most)."),
) -> None:
    """Serve the review app with uvicorn (the store's schema must be current)."""
    create_app(
        settings=command_settings()
    )  # fail here, with one clear line, if the settings or the schema are wrong
    problem = port_problem(host, port)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    typer.echo(f"review app on http://{host}:{port}/ (Ctrl+C stops it)")
    run_server(host, port, workers)
