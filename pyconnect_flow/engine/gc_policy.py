"""Garbage-collector thresholds for a process that streams records.

CPython's cyclic collector runs a young collection every 700 net container allocations and,
every so often, a full one over every tracked object. A running pipeline allocates several
containers per record (record tuples, decoded maps and structs) and keeps tens of thousands
of records alive in flight, so with the default thresholds the collector traverses that
working set again and again: measured on Kafka → PostgreSQL, a third of the run's CPU time.
Records are acyclic and freed by reference counting; the collector only has to find the rare
cycles (exceptions with tracebacks), which a much higher threshold still does.

`tune_for_streaming()` raises the thresholds once per process when a pipeline starts, unless
the application changed them from Python's defaults itself (then its choice stands), or
`PYCONNECT_FLOW_GC_THRESHOLDS` names other thresholds (`700,10,10` keeps Python's).
"""

from __future__ import annotations

import gc
import logging
import os

__all__ = ["PYTHON_DEFAULT_THRESHOLDS", "STREAMING_THRESHOLDS", "tune_for_streaming"]

log = logging.getLogger(__name__)

PYTHON_DEFAULT_THRESHOLDS = (700, 10, 10)
STREAMING_THRESHOLDS = (100_000, 50, 100)
ENV = "PYCONNECT_FLOW_GC_THRESHOLDS"


def _from_env() -> tuple[int, ...] | None:
    text = os.environ.get(ENV)
    if not text:
        return None
    try:
        thresholds = tuple(int(part) for part in text.split(","))
    except ValueError:
        thresholds = ()
    if not 1 <= len(thresholds) <= 3 or any(t < 0 for t in thresholds):
        log.warning("%s=%r is not 1 to 3 comma-separated non-negative integers; ignored", ENV, text)
        return None
    return thresholds


def tune_for_streaming() -> tuple[int, ...]:
    """Set the collector's thresholds for streaming (see the module doc); return those in force."""
    wanted = _from_env()
    if wanted is None:
        if gc.get_threshold() != PYTHON_DEFAULT_THRESHOLDS:
            return gc.get_threshold()  # already tuned, by us or by the application
        wanted = STREAMING_THRESHOLDS
    gc.set_threshold(*wanted)
    return gc.get_threshold()
