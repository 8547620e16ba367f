"""Run one notebook as a user's Jupyter would, and save the executed copy: `python notebook_runner.py IN OUT DIR`.

This script is run by the Python of the venv that `tests/test_notebooks.py` builds with only
`pip install "pyconnect-flow[notebooks]"`, so it imports nothing but what Jupyter brings (nbclient,
nbformat) and nothing of the tests or of pyconnect-flow. The kernel is the venv's own `python3` kernelspec
(the one ipykernel installs into the venv, found first through `JUPYTER_PATH`); jupyter_client starts a
kernelspec's `python` as the running interpreter, which is this venv's. A last cell, added to the copy that
runs (never to the file), prints where the kernel's Python and pyconnect-flow live, so the test can check
that neither came from the test environment or the source tree. `DIR` is the notebook's working directory.
A cell error exits 1 with nbclient's message (the cell and its traceback) on stderr.
"""

from __future__ import annotations

import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELL_TIMEOUT_S = 180
PROBE = "import sys, pyconnect_flow\nprint(sys.prefix)\nprint(pyconnect_flow.__file__)"
"""The cell added at the end: the kernel's `sys.prefix` and the pyconnect-flow it imports, one per line."""


def main(source: str, target: str, workdir: str) -> int:
    nb = nbformat.read(source, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": workdir}})
    started = time.monotonic()
    try:
        client.execute()
    except CellExecutionError as exc:
        print(re.sub(r"\x1b\[[0-9;]*m", "", str(exc)), file=sys.stderr)  # without the traceback's colours
        return 1
    finally:
        nbformat.write(nb, target)
    print(f"ran in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
