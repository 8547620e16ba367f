"""Keeping the engine's panic text away from users.

When a pipeline fails, Bytewax's Rust runtime unwinds with a panic and Rust's panic hook writes
`thread '…' panicked at src/…rs: …` and a backtrace hint straight to file descriptor 2, beside the clear
message pyconnect-flow prints. `engine_panics_filtered` runs the process (and the worker processes it
starts, which inherit the descriptor) with standard error passed through a filter that drops those lines
and keeps everything else, in order.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_PANIC_LINES = re.compile(
    rb"^(thread '.*' panicked at .*|Box<dyn Any>|note: run with `RUST_BACKTRACE=.*"
    rb"|stack backtrace:|\s+\d+: .*|\s+at .*\.rs:\d+.*|<unnamed>)\s*$")
_PANIC_HEAD = re.compile(rb"^thread '.*' panicked at ")


@contextmanager
def engine_panics_filtered() -> Iterator[None]:
    """Within: lines of Rust panic reports written to standard error are dropped (see the module).

    Set `PYCONNECT_FLOW_RUST_BACKTRACE=1` to see them (and Rust backtraces) when debugging the engine."""
    if os.environ.get("PYCONNECT_FLOW_RUST_BACKTRACE", "0") not in ("", "0"):
        yield
        return
    try:
        sys.stderr.flush()
        original = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2 (embedded interpreters)
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    pump = threading.Thread(target=_pump, args=(read_end, original), name="pyconnect-flow-stderr", daemon=True)
    pump.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, 2)  # the pipe's last writer in this process goes: the pump sees the end
        pump.join(timeout=5)
        os.close(original)


def _pump(read_end: int, out: int) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        in_panic = False
        for line in iter(pipe.readline, b""):
            if _PANIC_HEAD.match(line):
                in_panic = True
                continue
            if in_panic and _PANIC_LINES.match(line):
                continue
            in_panic = False
            os.write(out, line)
