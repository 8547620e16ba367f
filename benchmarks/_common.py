"""Shared helpers for the benchmarks: child processes that report their own timing and peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


PYCACHE = os.path.join(tempfile.gettempdir(), "pyconnect-flow-bench-pycache")


def child_environment(**env: str) -> dict[str, str]:
    """The environment of a measured child process: this checkout on the path, and compiled bytecode kept
    between runs, as an installed package has it (a machine that sets PYTHONDONTWRITEBYTECODE would have
    every child compile pyconnect-flow's sources at start-up)."""
    child_env = dict(os.environ, RUST_BACKTRACE="0", PYTHONPATH=str(REPO), PYTHONPYCACHEPREFIX=PYCACHE, **env)
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)
    return child_env


def run_child(code: str, **env: str) -> dict[str, Any]:
    """Run `code` in a fresh interpreter; it must print one JSON line last (its measurements)."""
    done = subprocess.run([sys.executable, "-c", code], env=child_environment(**env), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


PEAK_RSS = """
def peak_rss_mb():
    # VmHWM: the peak of this process image. ru_maxrss would be wrong: Linux carries the parent's RSS at
    # fork over exec into it, so every child of a benchmark that produced 1M records reported ~390 MB.
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
