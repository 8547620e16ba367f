"""Running compiled connectors: in this process, or as N Bytewax processes on loopback addresses.

Bytewax worker threads share the GIL, so parallelism comes from processes:
`run_connectors(..., processes=N)` starts N copies of this program's worker
entry point with `-i/-a`-style cluster settings, each building the same
dataflow and owning its share of the source partitions, and stops them
together.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pyconnect_flow.config import load_connector_config, load_worker_config
from pyconnect_flow.config.definition import ConfigException, ConfigIssue
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.engine.cluster_start import GO, wait_for_go, wait_until_listening
from pyconnect_flow.engine.control import (
    load_initial_positions,
    set_position_publisher,
    track_topics_file,
    watch_pause_file,
)
from pyconnect_flow.engine.explain import explain
from pyconnect_flow.engine.offsets_topic import OffsetsTopicPublisher, is_file_source
from pyconnect_flow.engine.recovery import check_recovery_store, prepare_recovery_dir
from pyconnect_flow.engine.shutdown import die_with_parent, stop_on_signals, watch_parent
from pyconnect_flow.engine.spec import (
    ConnectorSpec,
    check_connector,
    use_plugin_path,
    validate_worker,
    worker_file_issues,
)
from pyconnect_flow.engine.task_metrics import MetricsReporter, set_task_id, tasks_ended, tasks_starting
from pyconnect_flow.flow import connectors_flow
from pyconnect_flow.logs import LEVEL_ENV, configure_logging


@dataclass
class RunOptions:
    """How to run a set of connector files."""

    worker_file: str
    connector_files: list[str]
    stop_at_end: bool = False
    recovery_dir: str | None = None
    processes: int | None = None
    epoch_interval_ms: int | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    pause_file: str | None = None
    """Sources read only while this file does not exist (`engine.control`; the REST worker's pause)."""
    positions_file: str | None = None
    """Initial positions of partitions the recovery store has none for (`engine.control`)."""
    error_file: str | None = None
    """Where a failing run writes its one-message explanation (read by the REST worker for FAILED)."""
    metrics_dir: str | None = None
    """Where each process writes its tasks' counts (`engine.task_metrics`; read by `runtime.metrics`)."""
    topics_file: str | None = None
    """Where the run records its connector's active topics (`engine.control.track_topics_file`)."""
    offsets_topic: bool = False
    """Write source connectors' durable positions to the worker's `offset.storage.topic` (distributed mode)."""


@dataclass
class Loaded:
    specs: list[ConnectorSpec]
    recovery_dir: Path | None
    epoch: dt.timedelta
    processes: int
    recovery_setting: str = "offset.storage.file.filename"
    """What named `recovery_dir`: the worker key, or `--recovery-dir`."""
    progress_interval_s: float = 30.0
    """How often each task logs its progress (`progress.log.interval.ms`; 0: never)."""
    metrics_port: int | None = None
    """`metrics.port`: where a run without the REST API serves its Prometheus metrics."""


def load(options: RunOptions, *, check_store: bool = True) -> Loaded:
    """Parse and validate the worker file and every connector file (ConfigException lists every bad key).

    With `check_store`, an existing recovery store is opened and checked too (`RecoveryStoreError`);
    the processes of a cluster run skip that, as their parent checked it and the others may be writing.
    """
    for option, value in (("processes", options.processes), ("epoch_interval_ms", options.epoch_interval_ms)):
        if value is not None and value < 1:
            flag = "--" + option.replace("_", "-")
            raise ConnectException(f"{option} ({flag}) must be at least 1, not {value}")
    worker_raw = {**load_worker_config(options.worker_file), **options.overrides}
    worker, worker_values = validate_worker(worker_raw, options.worker_file)
    use_plugin_path(worker_values, options.worker_file)  # before any connector class is looked up
    specs: list[ConnectorSpec] = []
    problems: list[ConfigException] = []
    names: dict[str, str] = {}
    uses_kafka = False
    for path in options.connector_files:
        raw = load_connector_config(path)
        spec, issues = check_connector(raw, worker)
        uses_kafka = uses_kafka or spec is None or spec.connector.USES_KAFKA  # an invalid one: assume it does
        name = str(raw.get("name") or path)
        if name in names:
            issues = [*issues, ConfigIssue("name", f"duplicate connector name (also in {names[name]})")]
        names[name] = path
        if issues or spec is None:
            problems.append(ConfigException(name, issues))
        else:
            specs.append(spec)
    worker_issues = worker_file_issues(worker, uses_kafka)
    if worker_issues:
        problems.insert(0, ConfigException(options.worker_file, worker_issues, what="worker"))
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ConnectException("\n".join(str(p) for p in problems))
    if options.positions_file:
        load_initial_positions(options.positions_file)
    if options.topics_file:
        track_topics_file(options.topics_file)
    if options.offsets_topic:
        for spec in specs:
            if spec.kind == "source":
                set_position_publisher(spec.name, OffsetsTopicPublisher(worker, spec.name,
                                                                        is_file_source(spec.connector)))
    recovery = options.recovery_dir or worker_values.get("offset.storage.file.filename")
    setting = "--recovery-dir" if options.recovery_dir else "offset.storage.file.filename"
    if recovery and check_store:
        check_recovery_store(recovery, setting)
    epoch_ms = options.epoch_interval_ms or worker_values["offset.flush.interval.ms"]
    processes = options.processes or max([s.config["tasks.max"] for s in specs] or [1])
    return Loaded(specs, Path(recovery) if recovery else None, dt.timedelta(milliseconds=epoch_ms), processes,
                  setting, worker_values["progress.log.interval.ms"] / 1000, worker_values.get("metrics.port"))


def build(loaded: Loaded, stop_at_end: bool, preflight: bool) -> Any:
    return connectors_flow(loaded.specs, stop_at_end=stop_at_end, preflight=preflight)


def _free_ports(n: int) -> list[int]:
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run_connectors(options: RunOptions) -> int:
    """Validate, preflight and run the connectors until they end (stop-at-end), fail, or are stopped by
    SIGINT/SIGTERM (cleanly: see `runtime.shutdown`). Returns the exit status: 0, or 130 after SIGINT."""
    loaded = load(options)
    if options.pause_file:
        watch_pause_file(options.pause_file)
    if loaded.recovery_dir is not None:
        prepare_recovery_dir(loaded.recovery_dir, loaded.processes)
    if loaded.processes > 1:
        return _run_cluster(options, loaded)
    flow = build(loaded, options.stop_at_end, preflight=True)
    with stop_on_signals() as stop, _reporting_tasks(options, loaded):
        _run_in_process(flow, loaded)
    return stop.exit_status


@contextmanager
def _reporting_tasks(options: RunOptions, loaded: Loaded) -> Iterator[None]:
    """While inside, this process's tasks write their metrics and log their lifecycle and progress."""
    reporter = MetricsReporter(options.metrics_dir, loaded.progress_interval_s)
    tasks_starting()
    reporter.start()
    try:
        yield
    except BaseException as exc:
        tasks_ended(None if isinstance(exc, KeyboardInterrupt) else explain(exc))
        raise
    else:
        tasks_ended(None)
    finally:
        reporter.close()


def _recovery_config(loaded: Loaded) -> Any:
    if loaded.recovery_dir is None:
        return None
    from bytewax.recovery import RecoveryConfig

    return RecoveryConfig(loaded.recovery_dir)


def _run_in_process(flow: Any, loaded: Loaded) -> None:
    from bytewax.testing import run_main

    run_main(flow, epoch_interval=loaded.epoch, recovery_config=_recovery_config(loaded))


_STOP_GRACE_S = 60.0
"""How long worker processes get to finish their last epoch after a stop, before they are killed."""


def _run_cluster(options: RunOptions, loaded: Loaded) -> int:
    addresses = [f"127.0.0.1:{p}" for p in _free_ports(loaded.processes)]
    payload = json.dumps({"options": asdict(options), "addresses": addresses, "parent": os.getpid()})
    children: list[subprocess.Popen[bytes]] = []
    env = dict(os.environ, PYCONNECT_FLOW_CLUSTER=payload)
    env.setdefault("RUST_BACKTRACE", "0")

    def forward(signum: int) -> None:
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGTERM)

    with stop_on_signals(forward) as stop:
        try:
            for i in range(loaded.processes):
                children.append(subprocess.Popen(
                    [sys.executable, "-m", "pyconnect_flow.engine.cluster_worker", str(i)], env=env,
                    stdin=subprocess.PIPE))
            try:
                build(loaded, options.stop_at_end, preflight=True)  # while the processes import
            except BaseException:
                _release(children, go=False)  # they exit without joining; the finally below waits for them
                raise
            _release(children, go=True)
            failed: int | None = None
            while True:
                codes = [c.poll() for c in children]
                bad = [c for c in codes if c not in (None, 0)]
                if bad:
                    failed = bad[0]
                    break
                if all(c == 0 for c in codes):
                    return stop.exit_status
                time.sleep(0.02)
            raise ConnectException(f"A worker process exited with status {failed}; all workers were stopped")
        finally:
            for c in children:
                if c.poll() is None:
                    c.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + _STOP_GRACE_S
            for c in children:
                try:
                    c.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    c.kill()


def _release(children: list[subprocess.Popen[bytes]], go: bool) -> None:
    """Tell the processes of a cluster run to join (go) or to exit (their stdin closed without GO)."""
    for c in children:
        if c.stdin is None:
            continue
        try:
            if go:
                c.stdin.write(GO)
            c.stdin.close()
        except OSError:
            pass  # it exited already; the wait loop reports how


def write_error_file(path: str, message: str) -> None:
    """Record why a run failed, unless a process of the same run already did (the first cause wins)."""
    try:
        with open(path, "x", encoding="utf-8") as f:
            f.write(message)
    except FileExistsError:
        pass
    except OSError as exc:
        print(f"pyconnect-flow: cannot write the error file {path!r}: {exc}", file=sys.stderr)


def cluster_worker_main(argv: Sequence[str]) -> int:
    """Entry point of one process of a multi-process run (started by `_run_cluster`)."""
    from bytewax.testing import cluster_main


    process_id = int(argv[0])
    configure_logging(os.environ.get(LEVEL_ENV, "WARNING"))
    payload = json.loads(os.environ["PYCONNECT_FLOW_CLUSTER"])
    options = RunOptions(**payload["options"])
    parent = int(payload["parent"])
    die_with_parent()
    if os.getppid() != parent:  # the parent died before this process asked to be told
        return 1
    watch_parent(parent)
    set_task_id(process_id)
    try:
        with stop_on_signals():
            loaded = load(options, check_store=False)
            if options.pause_file:
                watch_pause_file(options.pause_file)
            flow = build(loaded, options.stop_at_end, preflight=False)
            if not wait_for_go():
                return 1  # the parent's preflight failed; it reports why
            wait_until_listening(payload["addresses"][:process_id])
            with _reporting_tasks(options, loaded):
                    cluster_main(flow, payload["addresses"], process_id, epoch_interval=loaded.epoch,
                             recovery_config=_recovery_config(loaded), worker_count_per_proc=1)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - reported, then non-zero exit
        message = explain(exc)
        print(f"pyconnect-flow worker {process_id}: {message}", file=sys.stderr)
        if options.error_file:
            write_error_file(options.error_file, message)
        return 1
    return 0
