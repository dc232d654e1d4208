"""``aduan demo``: the whole job offline on the shipped fakes, then the review app."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from demo.run import DemoSummary, running_demo, serve_review
from demo.serve import continuation_text


def demo(
    serve: bool = typer.Option(
        True,
        "--serve/--no-serve",
        help="Serve the review app after the pipeline (--no-serve: print a summary and exit).",
    ),
    host: str = typer.Option("127.0.0.1", help="Address of the review app."),
    port: int = typer.Option(8000, help="Port of the review app.", min=1, max=65535),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run the whole job offline: fake Facebook page -> store -> classifier -> triage -> LAPOR!
    simulator, then the review app with a demo facilitator account."""
    with running_demo() as (summary, _env, demo_settings):
        _print_summary(summary, as_json)
        if serve:
            summary.review_url = f"http://{host}:{port}/"
            typer.echo(
                f"\nReview app: {summary.review_url}\n  user: {summary.user}\n  password: "
                f"{summary.password}\nForwarding and status sync run every few seconds against "
                "the simulator: accepted cases move to sent in the Terkirim view.\n"
                "Ctrl-C stops the app, the schedules, the fake page and the simulator."
            )
            serve_review(host, port, demo_settings)


def _print_summary(summary: DemoSummary, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(asdict(summary), default=str))
        return
    typer.echo("\nDemo summary")
    for key, value in summary.store.items():
        typer.echo(f"  {key:<28} {value}")
    if summary.continuation:
        typer.echo(continuation_text(summary.continuation))
