"""Clean stops on SIGINT and SIGTERM, and worker processes that never outlive their parent.

The first SIGINT (Ctrl-C) or SIGTERM asks every running pipeline to stop as Kafka Connect's shutdown
does (`engine.stop.request_stop`): sources end, the sinks make what they received durable and a
last epoch stores the positions, so a restart re-sends nothing. A second signal aborts at once
(`KeyboardInterrupt`; positions then stay at the last stored epoch, as after a crash).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from pyconnect_flow.engine.stop import request_stop, reset_stop

log = logging.getLogger("pyconnect_flow.engine")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_PR_SET_PDEATHSIG = 1


class StopRequest:
    """Which stop signal arrived first (None: none)."""

    def __init__(self) -> None:
        self.signal: int | None = None

    @property
    def exit_status(self) -> int:
        """0 for a requested stop; 130 after SIGINT, as shells expect of an interrupted command."""
        return 130 if self.signal == signal.SIGINT else 0


@contextmanager
def stop_on_signals(on_stop: Callable[[int], None] | None = None) -> Iterator[StopRequest]:
    """While inside, SIGINT and SIGTERM stop the pipelines of this process cleanly (see the module).

    `on_stop(signum)` runs too at the first signal (a parent forwards it to its worker processes).
    Outside the main thread, where Python cannot take signals, nothing is installed."""
    request = StopRequest()
    reset_stop()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if request.signal is not None:
            raise KeyboardInterrupt()
        request.signal = signum
        log.warning("%s received: stopping cleanly (sinks flush, positions are stored); send it again to abort",
                    signal.Signals(signum).name)
        request_stop()
        if on_stop is not None:
            on_stop(signum)

    previous = {s: signal.signal(s, handle) for s in STOP_SIGNALS}
    try:
        yield request
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def die_with_parent() -> None:
    """In a worker process, first thing: receive SIGTERM when the parent dies, whatever killed it
    (kill -9 included), so a worker process never outlives the run it belongs to (Linux; check
    `os.getppid()` afterwards, the parent may have died before)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's watchdog below still applies
        pass


def watch_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """Stop this process cleanly when its parent is gone (a fallback where `die_with_parent` cannot work)."""

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent_pid:
                log.warning("the parent process %d is gone: stopping", parent_pid)
                request_stop()
                return

    threading.Thread(target=watch, name="pyconnect-flow-parent-watch", daemon=True).start()
