"""Every notebook in `notebooks/` runs from top to bottom without a cell error, and is saved without outputs.

Each notebook runs in a fresh kernel of *this* interpreter: the test registers a kernelspec for
`sys.executable` in a temporary prefix and puts it first on `JUPYTER_PATH`, so it needs nothing but
`pip install -e .[test]` (ipykernel is in the extra), and a `python3` kernelspec elsewhere on the machine
(which may start another Python, without pyconnect-flow) is never used. The notebooks run with
`notebooks/` as the working directory; the files on disk are not modified.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL_NAME = "pyconnect-flow-tests"
CELL_TIMEOUT_S = 180


@pytest.fixture(scope="session")
def kernel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `share/jupyter` directory holding a kernelspec that starts ipykernel on this interpreter."""
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("jupyter")
    install(kernel_name=KERNEL_NAME, display_name="pyconnect-flow tests", prefix=str(prefix))
    return prefix / "share" / "jupyter"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, kernel_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient

    # The kernel inherits this environment: short Bytewax errors, and our kernelspec found first.
    monkeypatch.setenv("RUST_BACKTRACE", "0")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_dir))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    started = time.monotonic()
    client.execute()  # raises CellExecutionError (with the cell and its traceback) on any cell error
    print(f"{path.name} ran in {time.monotonic() - started:.1f} s")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_saved_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: clear the outputs of cells {dirty} before saving"
