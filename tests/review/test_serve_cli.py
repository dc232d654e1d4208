"""``aduan review serve`` on a port already in use: one line naming the port and the option that
changes it, exit 2, and no "review app on http://..." announced first."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from review.serve import port_problem


def test_a_taken_port_is_said_in_one_line_and_exits_2(engine):
    from cli.main import app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["review", "serve", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"port {port} on 127.0.0.1 is already in use; choose another with --port" in (
        result.output
    )
    assert "review app on" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_free_port_has_no_problem():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert port_problem("127.0.0.1", port) is None


def test_a_port_out_of_range_is_refused_before_anything_starts():
    from cli.main import app

    result = CliRunner().invoke(app, ["review", "serve", "--port", "80000"])
    assert result.exit_code == 2, result.output
    assert "--port" in result.output and "less than or equal to 65535" in result.output
    assert "Traceback" not in result.output and "review app on" not in result.output
