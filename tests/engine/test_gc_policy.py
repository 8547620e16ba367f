"""The collector thresholds a running pipeline sets (each case in a fresh interpreter: they are process-wide)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CHECK = """
import gc, sys
{before}
from pyconnect_flow.engine.gc_policy import tune_for_streaming
print(tune_for_streaming(), gc.get_threshold())
"""


def _run(before: str = "", **env: str) -> str:
    child_env = {k: v for k, v in os.environ.items() if k != "PYCONNECT_FLOW_GC_THRESHOLDS"}
    done = subprocess.run([sys.executable, "-c", CHECK.format(before=before)], env={**child_env, **env},
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip() + done.stderr.strip()


def test_python_defaults_are_raised_for_streaming() -> None:
    assert _run() == "(100000, 50, 100) (100000, 50, 100)"


def test_thresholds_the_application_chose_stand() -> None:
    assert _run("gc.set_threshold(5000, 5, 5)") == "(5000, 5, 5) (5000, 5, 5)"


@pytest.mark.parametrize(("value", "expected"), [("700,10,10", "(700, 10, 10)"), ("0", "(0, 10, 10)"),
                                                 ("20000,20", "(20000, 20, 10)")])
def test_the_environment_names_other_thresholds(value: str, expected: str) -> None:
    assert _run(PYCONNECT_FLOW_GC_THRESHOLDS=value) == f"{expected} {expected}"


def test_bad_environment_value_is_ignored_with_a_warning() -> None:
    out = _run(PYCONNECT_FLOW_GC_THRESHOLDS="lots")
    assert out.startswith("(100000, 50, 100) (100000, 50, 100)")
    assert "PYCONNECT_FLOW_GC_THRESHOLDS='lots' is not 1 to 3 comma-separated non-negative integers" in out


def test_a_running_pipeline_tunes_the_collector(tmp_path) -> None:
    source, target = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("a\nb\n")
    code = f"""
import gc
from bytewax.testing import run_main
from pyconnect_flow.connectors.file import FileSink, FileSource
from pyconnect_flow.flow import build_flow
flow = build_flow(FileSource([{str(source)!r}], "t", stop_at_end=True), FileSink({str(target)!r}))
built = gc.get_threshold()
run_main(flow)
print(built, gc.get_threshold())
"""
    child_env = {k: v for k, v in os.environ.items() if k != "PYCONNECT_FLOW_GC_THRESHOLDS"}
    done = subprocess.run([sys.executable, "-c", code], env=child_env, capture_output=True, text=True, timeout=120)
    # building a flow changes nothing; running it does
    assert done.stdout.strip() == "(700, 10, 10) (100000, 50, 100)", done.stderr[-2000:]
    assert target.read_text() == "a\nb\n"
