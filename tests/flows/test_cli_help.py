"""Every `aduan` command answers --help with its own description (help is the first manual)."""

from __future__ import annotations

import subprocess
import sys

import typer.main

from flows import cli


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):  # a group (typer's own click)
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help_that_shows_its_description():
    cli._register_all()
    root = typer.main.get_command(cli.app)
    found = list(_commands(root))
    assert len(found) > 30
    from typer.testing import CliRunner

    runner = CliRunner()
    for path, command in found:
        result = runner.invoke(cli.app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        first_line = (command.help or "").strip().splitlines()[0]
        assert first_line, f"aduan {' '.join(path)} has no description"
        words = " ".join(result.output.split())
        assert " ".join(first_line.split()[:4]) in words, (path, result.output)


def test_console_script_help_lists_the_commands():
    done = subprocess.run(
        [sys.executable, "-c", "from flows.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for name in ("train", "evaluate", "classify", "forward", "serve", "run", "review", "demo"):
        assert f" {name} " in done.stdout
