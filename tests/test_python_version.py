"""Unsupported Pythons get one clear sentence, not a resolver error or an import traceback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyconnect_flow.python_version import NEWEST, OLDEST, unsupported_message

REPO = Path(__file__).resolve().parents[1]


def _interpreter(version: str) -> str | None:
    """A python`version` executable: pyenv's installs first (their shims need pyenv's environment), else PATH."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for candidate in sorted(root.glob(f"versions/{version}.*/bin/python{version}")):
        return str(candidate)
    return shutil.which(f"python{version}")


def test_bounds_are_pyprojects_requires_python() -> None:
    text = (REPO / "pyproject.toml").read_text()
    found = re.search(r'^requires-python = ">=(\d+)\.(\d+),<(\d+)\.(\d+)"$', text, re.M)
    assert found, "requires-python is not of the form >=X.Y,<X.Z"
    low, high = (int(found[1]), int(found[2])), (int(found[3]), int(found[4]))
    assert OLDEST == low and (NEWEST[0], NEWEST[1] + 1) == high


def test_the_message_says_which_pythons_and_why() -> None:
    assert unsupported_message((3, 10, 0)) is None and unsupported_message((3, 12, 7)) is None
    newer = unsupported_message((3, 13, 0))
    assert newer is not None and "runs on Python 3.10 to 3.12, and this is Python 3.13" in newer
    assert "Bytewax 0.21.1" in newer
    older = unsupported_message((3, 9, 18))
    assert older is not None and "this is Python 3.9." in older and "Bytewax" not in older


@pytest.mark.parametrize("version", ["3.9", "3.13"])
def test_the_command_on_an_unsupported_python_prints_that_sentence(version: str, tmp_path: Path) -> None:
    python = _interpreter(version)
    if python is not None:
        command = [python, "-m", "pyconnect_flow", "--version"]
    else:  # no such interpreter here: this one, told it is that version before the command starts
        major, minor = map(int, version.split("."))
        command = [sys.executable, "-c", f"import runpy, sys; sys.version_info = ({major}, {minor}, 0, 'final', 0); "
                   "sys.argv = ['pyconnect_flow', '--version']; runpy.run_module('pyconnect_flow', run_name='__main__')"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert done.returncode == 1
    assert done.stderr.startswith(f"pyconnect-flow: pyconnect-flow runs on Python 3.10 to 3.12, and this is Python "
                                  f"{version}"), done.stderr
    assert "Traceback" not in done.stderr
