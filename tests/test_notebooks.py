"""Every notebook in `notebooks/` runs from top to bottom, without a cell error, in a fresh venv that has nothing
but what the README tells a user to install: `pip install "pyconnect-flow[notebooks]"`. Notebooks are saved
without outputs.

Once per test session the `notebook_venv` fixture makes a venv (`python -m venv`, in a temporary directory)
and installs into it a copy of this repository's package (`pyproject.toml`, `README.md`, `pyconnect_flow/`,
`flows/`) with the `notebooks` extra. The install is a regular, non-editable one: the venv then holds what
a wheel from PyPI would give a user, nothing in it points back at the source tree (a file missing from the
package data would fail a notebook), and pip builds in the copy, so no `build/` or `*.egg-info` lands in the
repository. pip's own cache (its default, or `PIP_CACHE_DIR`) is used, so after the first run the install
downloads nothing; it still unpacks about 170 distributions, 1.5–2.5 minutes on 2 shared cores. `--no-compile`
halves pip's CPU time: the kernel compiles only the modules it imports (once; later notebooks reuse them).

Each notebook then runs in the venv's own Jupyter kernel (`python3`, the kernelspec ipykernel installs into
the venv), started by `tests/notebook_runner.py` under the venv's Python, with the venv's `bin` first on PATH
and no PYTHONPATH, with `notebooks/` as the working directory. The runner adds a last cell to the copy that
runs, printing the kernel's `sys.prefix` and where `pyconnect_flow` was imported from: both must be in the venv.
Every service a notebook starts (Tansu, noida-db, PostgreSQL, moto's S3) comes from the extra's wheels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
RUNNER = Path(__file__).resolve().parent / "notebook_runner.py"
PACKAGE_FILES = ("pyproject.toml", "README.md", "pyconnect_flow", "flows")
"""What pip needs to build the package: the project file, its readme, and the packages it declares."""
INSTALL_TIMEOUT_S = 900
NOTEBOOK_TIMEOUT_S = 600
CHARTS = {"06_rest_api.ipynb": "throughput-chart"}
"""Cells (by tag) that must have drawn a chart: an `image/png` output."""


def _venv_env(venv: Path) -> dict[str, str]:
    """This environment as a user's shell with the venv activated: none of the test run's import paths."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               JUPYTER_PATH=str(venv / "share" / "jupyter"), RUST_BACKTRACE="0")
    return env


@pytest.fixture(scope="session")
def notebook_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with `pip install "<copy of this repo>[notebooks]"` and nothing else; its directory."""
    root = tmp_path_factory.mktemp("notebook-venv")
    source = root / "pyconnect-flow"
    source.mkdir()
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in PACKAGE_FILES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=junk)
        else:
            shutil.copy2(REPO / name, source / name)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
         "--no-compile", f"{source}[notebooks]"],
        env=_venv_env(venv), capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert install.returncode == 0, f'pip install ".[notebooks]" failed in a fresh venv:\n{install.stderr[-5000:]}'
    assert (venv / "share" / "jupyter" / "kernels" / "python3" / "kernel.json").is_file(), \
        "the notebooks extra installed no Jupyter kernel into the venv"
    return venv


@pytest.mark.timeout(INSTALL_TIMEOUT_S + NOTEBOOK_TIMEOUT_S)  # the first test also builds the venv
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_in_a_fresh_venv_with_only_the_notebooks_extra(path: Path, notebook_venv: Path,
                                                                      tmp_path: Path) -> None:
    executed = tmp_path / path.name
    done = subprocess.run([str(notebook_venv / "bin" / "python"), str(RUNNER), str(path), str(executed),
                           str(NOTEBOOK_DIR)],
                          cwd=NOTEBOOK_DIR, env=_venv_env(notebook_venv), capture_output=True, text=True,
                          timeout=NOTEBOOK_TIMEOUT_S)
    # On a cell error the runner prints nbclient's message: the failing cell and its traceback.
    assert done.returncode == 0, f"{path.name} failed in the notebooks venv:\n{done.stderr[-8000:]}"
    print(f"{path.name} {done.stdout.strip()}")

    nb = nbformat.read(executed, as_version=4)
    errors = [i for i, cell in enumerate(nb.cells) if any(o.output_type == "error" for o in cell.get("outputs", []))]
    assert not errors, f"{path.name}: cells {errors} raised"
    probe = "".join(o.text for o in nb.cells[-1].outputs if o.output_type == "stream" and o.name == "stdout")
    prefix, module = probe.split("\n")[:2]
    assert Path(prefix) == notebook_venv, f"{path.name} ran in {prefix}, not in the notebooks venv"
    assert Path(module).is_relative_to(notebook_venv), f"{path.name} imported pyconnect_flow from {module}"
    if path.name in CHARTS:
        tag = CHARTS[path.name]
        charts = [cell for cell in nb.cells if tag in cell.metadata.get("tags", [])]
        assert len(charts) == 1, f"{path.name}: no cell tagged {tag!r}"
        assert any("image/png" in o.get("data", {}) for o in charts[0].outputs), \
            f"{path.name}: the cell tagged {tag!r} drew no chart: {charts[0].outputs}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_saved_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before saving"
