"""A process-wide request to stop every running pipeline cleanly (see `runtime.shutdown`)."""

from __future__ import annotations

import threading

_STOP = threading.Event()


def request_stop() -> None:
    """Stop every running pipeline of this process cleanly, as Kafka Connect's shutdown does: each source
    partition ends, the sinks make what they received durable and the positions are stored (a last epoch),
    so a restart re-sends nothing. Safe to call from a signal handler."""
    _STOP.set()


def stop_requested() -> bool:
    return _STOP.is_set()


def reset_stop() -> None:
    """Forget an earlier `request_stop` (before running another dataflow in the same process)."""
    _STOP.clear()
