"""What each task of a running connector counts, as Kafka Connect's task metrics do, and where it goes.

A *task* here is one process of a connector's run (`tasks.max` processes; task id = process index). Each
process keeps one `TaskCounts` per connector it runs:

- `read`: records its source partitions read (`source-record-poll-total` of a source connector,
  `sink-record-read-total` of a sink connector);
- `written`: records its sink partitions took (`source-record-write-total`, `sink-record-send-total`);
- errors of `errors.*` (`task-error-metrics`): `errors` (records that failed), `skipped` (tolerated and
  dropped or sent to the dead letter queue), `logged` (`errors.log.enable`), `dead_letters` (records handed
  to the dead letter queue producer), `last_error_ms`.

The adapters count reads and writes (`engine.adapters`), the `ErrorReporter` of each connector counts its
errors (`observe_errors`). `MetricsReporter` writes this process's counts as a small JSON file every
second (`<directory>/task-<id>.json`, replaced atomically), which the worker's `/metrics` reads
(`runtime.metrics`), and logs a progress line per connector every `progress.log.interval.ms`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pyconnect_flow.errors import ErrorReporter

log = logging.getLogger("pyconnect_flow.task")

_TASKS: dict[str, TaskCounts] = {}
_LOCK = threading.Lock()
_ERROR_LOCK = threading.Lock()
_TASK_ID = [0]
_WRITE_INTERVAL_S = 1.0


@dataclass
class TaskCounts:
    """One connector's counts in this process (see the module)."""

    connector: str
    kind: str
    task: int
    read: int = 0
    written: int = 0
    errors: int = 0
    skipped: int = 0
    logged: int = 0
    dead_letters: int = 0
    last_error_ms: int = 0
    started_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    lag: dict[str, int] = field(default_factory=dict)
    """Records not yet read, per source partition key (`topic-partition` for Kafka), sampled every second."""

    def error(self, tolerated: bool, logged: bool, dead_letter: bool) -> None:
        """One record failed (sinks may report from their own threads, hence the lock)."""
        with _ERROR_LOCK:
            self.errors += 1
            self.skipped += tolerated
            self.logged += logged
            self.dead_letters += dead_letter
            self.last_error_ms = int(time.time() * 1000)

    def snapshot(self) -> dict[str, Any]:
        """The counts as plain values (what the metrics file holds)."""
        return asdict(self)

    @property
    def task_name(self) -> str:
        """As Kafka Connect names the task in its log lines: `WorkerSourceTask{id=name-0}`."""
        return f"Worker{'Source' if self.kind == 'source' else 'Sink'}Task{{id={self.connector}-{self.task}}}"


def set_task_id(task: int) -> None:
    """This process is task `task` of its run (its process index; 0 for a run in one process)."""
    _TASK_ID[0] = task


def task_counts(connector: str, kind: str) -> TaskCounts:
    """The counts of `connector` in this process, created on first use."""
    with _LOCK:
        counts = _TASKS.get(connector)
        if counts is None:
            counts = _TASKS[connector] = TaskCounts(connector, kind, _TASK_ID[0])
        return counts


def all_counts() -> list[TaskCounts]:
    with _LOCK:
        return list(_TASKS.values())


def observe_errors(reporter: ErrorReporter, kind: str) -> None:
    """Count every failure `reporter` handles as its connector's error in this process."""
    counts = task_counts(reporter.connector, kind)
    policy = reporter.policy

    def observe(tolerated: bool) -> None:
        counts.error(tolerated, tolerated and policy.log_enable, tolerated and bool(policy.dlq_topic))

    reporter.observer = observe


class MetricsReporter:
    """Writes this process's counts to `directory` every second (when given) and logs progress lines
    every `progress_interval_s` (when positive), on a daemon thread; `close()` writes them a last time."""

    def __init__(self, directory: str | os.PathLike[str] | None, progress_interval_s: float) -> None:
        self.path = Path(directory) / f"task-{_TASK_ID[0]}.json" if directory else None
        self.progress_interval_s = progress_interval_s
        self._stop = threading.Event()
        self._last: dict[str, tuple[float, int, int]] = {}  # connector → at the last progress line
        self._samples: dict[str, deque[tuple[float, int, int]]] = {}  # connector → counts of the last 30 s
        self._thread = threading.Thread(target=self._run, name="pyconnect-flow-metrics", daemon=True)

    def start(self) -> MetricsReporter:
        if self.path is not None or self.progress_interval_s > 0:
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.write()

    def _run(self) -> None:
        next_progress = time.monotonic() + self.progress_interval_s
        interval = _WRITE_INTERVAL_S if self.path is not None else self.progress_interval_s
        while not self._stop.wait(min(interval, max(0.05, next_progress - time.monotonic()))
                                  if self.progress_interval_s > 0 else interval):
            try:
                self.write()
                if self.progress_interval_s > 0 and time.monotonic() >= next_progress:
                    next_progress = time.monotonic() + self.progress_interval_s
                    self.log_progress()
            except Exception as exc:  # noqa: BLE001 - metrics never stop a connector
                log.debug("metrics: %s", exc)

    def write(self) -> None:
        """Replace the metrics file with the current counts (no-op without a directory)."""
        if self.path is None:
            return
        now = time.time()
        document = {"pid": os.getpid(), "time_ms": int(now * 1000),
                    "tasks": [self._with_rates(c.snapshot(), now) for c in all_counts()]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(document), encoding="utf-8")
        os.replace(tmp, self.path)

    _RATE_WINDOW_S = 30.0

    def _with_rates(self, counts: dict[str, Any], now: float) -> dict[str, Any]:
        # Records per second over the last 30 s (Kafka Connect's rates average over its sample window too).
        samples = self._samples.setdefault(counts["connector"], deque([(counts["started_ms"] / 1000, 0, 0)]))
        samples.append((now, counts["read"], counts["written"]))
        while len(samples) > 2 and now - samples[1][0] >= self._RATE_WINDOW_S:
            samples.popleft()
        since, read, written = samples[0]
        elapsed = max(now - since, 1e-3)
        counts["read_rate"] = (counts["read"] - read) / elapsed
        counts["written_rate"] = (counts["written"] - written) / elapsed
        return counts

    def log_progress(self) -> None:
        """One INFO line per connector: records in and out since the last line (and per second), errors,
        dead letters."""
        now = time.monotonic()
        for c in all_counts():
            since, read, written = self._last.get(c.connector, (now - self.progress_interval_s, 0, 0))
            elapsed = max(now - since, 1e-3)
            self._last[c.connector] = (now, c.read, c.written)
            verb_in, verb_out = ("polled", "written") if c.kind == "source" else ("read", "sent")
            lag = f", lag {sum(c.lag.values())}" if c.lag else ""
            log.info("%s progress: %d records %s (%.1f/s), %d %s (%.1f/s), %d errors, %d skipped, %d sent to "
                     "the dead letter queue%s", c.task_name, c.read, verb_in, (c.read - read) / elapsed, c.written,
                     verb_out, (c.written - written) / elapsed, c.errors, c.skipped, c.dead_letters, lag)


def tasks_starting() -> None:
    """Log, as Kafka Connect's workers do, that this process's tasks start."""
    for c in all_counts():
        log.info("Creating task %s-%d", c.connector, c.task)
        log.info("%s %s task finished initialization and start", c.task_name, c.kind.capitalize())


def tasks_ended(failure: str | None) -> None:
    """Log that this process's tasks stopped, or failed with `failure` (the run's explanation)."""
    for c in all_counts():
        if failure is None:
            log.info("%s Task stopped: %d records in, %d out, %d errors", c.task_name, c.read, c.written, c.errors)
        else:
            log.error("%s Task threw an uncaught and unrecoverable exception. Task is being killed and will not "
                      "recover until manually restarted: %s", c.task_name, failure)
