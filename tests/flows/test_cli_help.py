"""Every `aduan` command answers --help with its own description (help is the first manual), and
the root's --help lists the commands without importing them."""

from __future__ import annotations

import subprocess
import sys
import time

import typer.main
from typer.testing import CliRunner

from cli import main as cli


def _commands(group, ctx=None, prefix: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name), command
        if hasattr(command, "list_commands"):  # a group (typer's own click)
            yield from _commands(command, ctx, (*prefix, name))


def test_every_command_has_help_that_shows_its_description():
    root = typer.main.get_command(cli.app)
    found = list(_commands(root))
    assert len(found) > 30
    runner = CliRunner()
    for path, command in found:
        result = runner.invoke(cli.app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        first_line = (command.help or "").strip().splitlines()[0]
        assert first_line, f"aduan {' '.join(path)} has no description"
        words = " ".join(result.output.split())
        assert " ".join(first_line.split()[:4]) in words, (path, result.output)


def test_the_root_lists_each_command_with_its_own_description():
    for name, entry in cli.COMMANDS.items():
        own = " ".join((cli.load(name).help or "").split())
        assert own.startswith(" ".join(entry.help.split()).rstrip(".")), (name, own)


def test_one_path_per_verb():
    root = typer.main.get_command(cli.app)
    names = {" ".join(path) for path, _ in _commands(root)}
    for step in ("harvest", "classify", "triage", "forward", "replies", "status", "retrain"):
        assert f"run {step}" in names
    for gone in ("harvest", "forward", "retrain", "lapor sync-status"):
        assert gone not in names


def test_console_script_help_lists_the_commands_quickly():
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    for name in ("train", "evaluate", "classify", "serve", "run", "review", "demo"):
        assert f" {name} " in done.stdout
    assert "aduan run STEP" in done.stdout
    probe = "import sys; from cli.main import main; sys.argv = ['aduan', '--help']\n"
    probe += "try:\n    main()\nexcept SystemExit:\n    pass\n"
    # flows.env (and the deployments table it reads): Prefect's defaults, set by cli.main
    probe += "print(sorted(m for m in sys.modules if m.split('.')[0] in"
    probe += " ('prefect', 'sklearn', 'sqlalchemy', 'fastapi', 'flows', 'lapor', 'classifier')"
    probe += " and m not in ('flows', 'flows.env', 'flows.deployments')))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert loaded.stdout.strip().splitlines()[-1] == "[]", loaded.stdout[-500:]
    assert seconds < 30  # a generous guard on a busy machine; ~0.2 s when quiet
