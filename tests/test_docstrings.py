"""Every shipped module opens with a docstring of one or two lines (issue #22), and no shipped
file points at ../shared: what a maintainer needs is in comments, a README or docs/."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = [
    name.rstrip("*") for name in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
]
MAX_LINES = 2
MAX_WIDTH = 100
# Alembic's header fields, which a migration's docstring must keep below its prose.
ALEMBIC_HEADER = re.compile(r"(Revision ID|Revises|Create Date):")
# Modules that draw their exception tree below a one-line summary (house style, like httpx's):
# every ``exceptions.py``, and the reply errors, which are named after what they mean.
EXCEPTION_TREES = {"lapor/replies/errors.py"}


def _modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        if (ROOT / package).is_dir()
        for path in (ROOT / package).rglob("*.py")
        if ".venv" not in path.parts
    )


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _draws_a_tree(path: Path) -> bool:
    return path.name == "exceptions.py" or _name(path) in EXCEPTION_TREES


def _prose(path: Path, doc: str) -> list[str]:
    """The lines the two-line rule counts: an exception module keeps its tree drawn below its
    one-line summary; a migration keeps Alembic's header fields below its prose."""
    lines = doc.strip().splitlines()
    if _draws_a_tree(path):
        return lines[:1]
    if "migrations" in path.parts:
        return [line for line in lines if line.strip() and not ALEMBIC_HEADER.match(line)]
    return lines


def test_the_module_list_is_not_empty():
    assert len(_modules()) > 100


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_module_docstring_is_one_or_two_lines(path: Path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=True)
    if doc is None:
        return
    lines = doc.strip().splitlines()
    if _draws_a_tree(path) and len(lines) > 1:
        assert not lines[1].strip(), "an exception tree goes below a one-line summary and a blank"
    prose = _prose(path, doc)
    assert len(prose) <= MAX_LINES, f"{len(prose)} lines: move the rest beside its code"
    assert all(len(line) <= MAX_WIDTH for line in prose)


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_no_link_to_shared(path: Path):
    text = path.read_text(encoding="utf-8")
    for gone in ("../shared/", "EXTERNAL_APIS.md", "ARCHITECTURE.md"):
        assert gone not in text, f"{gone}: point to the package's README.md or docs/ instead"
