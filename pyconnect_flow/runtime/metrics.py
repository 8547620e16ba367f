"""Prometheus metrics named as Kafka Connect's, as Strimzi's JMX exporter rules expose them.

The counts come from the connectors' processes: each writes `task-<id>.json` into its connector's metrics
directory every second (`engine.task_metrics`); states come from the herder (REST worker) or, in a run
without the REST API, from the run itself. Served at `/metrics` on the REST listener (`rest.app`) or on
`metrics.port` (`serve_metrics`) when the REST API is off.

Names and labels follow `kafka-connect-metrics.yaml` of Strimzi (`kafka_connect_<group>_<attribute>`,
labels `connector` and `task`), so dashboards made for Kafka Connect work unchanged:

- `kafka_connect_source_task_source_record_{poll,write}_{total,rate}`,
  `kafka_connect_sink_task_sink_record_{read,send}_{total,rate}`;
- `kafka_connect_task_error_{total_record_errors,total_records_skipped,total_errors_logged,
  deadletterqueue_produce_requests,last_error_timestamp}`;
- `kafka_connect_connector_status{status}`, `kafka_connect_connector_task_status{status}`,
  `kafka_connect_connector_{connector_class,connector_type,connector_version}` (value 1);
- `kafka_connect_worker_connector_count`, `kafka_connect_worker_task_count`,
  `kafka_connect_worker_connector_{running,paused,failed,unassigned,restarting,total}_task_count`.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from pyconnect_flow import __version__
from pyconnect_flow.engine.runner import RunOptions, load

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
_Family = CounterMetricFamily | GaugeMetricFamily
TASK_STATES = ("running", "paused", "failed", "unassigned", "restarting")


@dataclass
class ConnectorView:
    """What the metrics say of one connector: its state, class and type, tasks' states, and where its
    processes write their counts."""

    name: str
    state: str
    connector_class: str
    kind: str
    metrics_dir: Path
    tasks: dict[int, str] | None = field(default_factory=dict)
    """Task id → state (Kafka Connect's, any case); None: each task whose process writes its counts to
    `metrics_dir` is running (read with the counts, so both come from the same files)."""


def read_task_files(directory: Path) -> list[dict[str, Any]]:
    """The task counts written in `directory` by processes still alive (a task's metrics end with it, as
    Kafka Connect removes a stopped task's)."""
    out: list[dict[str, Any]] = []
    for path in sorted(directory.glob("task-*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being replaced or removed
        if not _alive(int(document.get("pid", 0))):
            continue
        out.extend(t for t in document.get("tasks", []) if isinstance(t, dict))
    return out


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_SOURCE = ("source_task", "source_record_poll", "source_record_write")
_SINK = ("sink_task", "sink_record_read", "sink_record_send")
_ERRORS = (("total_record_errors", "errors", "The number of record processing errors in this task."),
           ("total_records_skipped", "skipped", "The number of records skipped due to errors."),
           ("total_errors_logged", "logged", "The number of errors that were logged."),
           ("deadletterqueue_produce_requests", "dead_letters",
            "The number of attempted writes to the dead letter queue."))


class ConnectCollector:
    """A `prometheus_client` collector of the connectors `views()` returns (see the module)."""

    def __init__(self, views: Callable[[], Iterable[ConnectorView]]) -> None:
        self.views = views

    def collect(self) -> Iterator[Metric]:
        views = list(self.views())
        families: dict[str, _Family] = {}

        def counter(name: str, doc: str) -> _Family:
            return families.setdefault(name, CounterMetricFamily(name, doc, labels=["connector", "task"]))

        def gauge(name: str, doc: str, labels: tuple[str, ...] = ("connector", "task")) -> _Family:
            return families.setdefault(name, GaugeMetricFamily(name, doc, labels=list(labels)))

        task_total = 0
        files: dict[Path, list[dict[str, Any]]] = {}
        for view in views:
            status = view.state.lower()
            labels = [view.name]
            gauge("kafka_connect_connector_status", "The status of the connector.", ("connector", "status")
                  ).add_metric([*labels, status], 1)
            gauge("kafka_connect_connector_connector_class", "The name of the connector class.",
                  ("connector", "connector_class")).add_metric([*labels, view.connector_class], 1)
            gauge("kafka_connect_connector_connector_type", "The type of the connector: source or sink.",
                  ("connector", "connector_type")).add_metric([*labels, view.kind], 1)
            gauge("kafka_connect_connector_connector_version", "The version of the connector class.",
                  ("connector", "connector_version")).add_metric([*labels, __version__], 1)
            if view.metrics_dir not in files:
                files[view.metrics_dir] = read_task_files(view.metrics_dir)
            reported = [counts for counts in files[view.metrics_dir] if counts.get("connector") == view.name]
            tasks = view.tasks if view.tasks is not None else {int(c.get("task", 0)): "running" for c in reported}
            per_state = dict.fromkeys(TASK_STATES, 0)
            for task, state in sorted(tasks.items()):
                state = state.lower()
                per_state[state] = per_state.get(state, 0) + 1
                gauge("kafka_connect_connector_task_status", "The status of the connector task.",
                      ("connector", "task", "status")).add_metric([view.name, str(task), state], 1)
            task_total += len(tasks)
            for state, n in per_state.items():
                gauge(f"kafka_connect_worker_connector_{state}_task_count",
                      f"The number of {state} tasks of the connector on the worker.", ("connector",)
                      ).add_metric(labels, n)
            gauge("kafka_connect_worker_connector_total_task_count",
                  "The number of tasks of the connector on the worker.", ("connector",)
                  ).add_metric(labels, len(tasks))
            for counts in reported:
                self._task(counts, view, counter, gauge)
        gauge("kafka_connect_worker_connector_count", "The number of connectors run in this worker.", ()
              ).add_metric([], len(views))
        gauge("kafka_connect_worker_task_count", "The number of tasks run in this worker.", ()
              ).add_metric([], task_total)
        yield from families.values()

    @staticmethod
    def _task(counts: dict[str, Any], view: ConnectorView, counter: Callable[[str, str], _Family],
              gauge: Callable[..., _Family]) -> None:
        labels = [view.name, str(counts.get("task", 0))]
        group, read, written = _SOURCE if counts.get("kind") == "source" else _SINK
        verb_in, verb_out = ("polled", "written to Kafka") if group == "source_task" else ("read from Kafka",
                                                                                          "sent to the sink")
        counter(f"kafka_connect_{group}_{read}", f"The number of records {verb_in} by this task."
                ).add_metric(labels, counts.get("read", 0))
        counter(f"kafka_connect_{group}_{written}", f"The number of records {verb_out} by this task."
                ).add_metric(labels, counts.get("written", 0))
        gauge(f"kafka_connect_{group}_{read}_rate", f"Records per second {verb_in} by this task."
              ).add_metric(labels, counts.get("read_rate", 0.0))
        gauge(f"kafka_connect_{group}_{written}_rate", f"Records per second {verb_out} by this task."
              ).add_metric(labels, counts.get("written_rate", 0.0))
        for name, key, doc in _ERRORS:
            gauge(f"kafka_connect_task_error_{name}", doc).add_metric(labels, counts.get(key, 0))
        gauge("kafka_connect_task_error_last_error_timestamp", "The epoch timestamp (ms) of the last error."
              ).add_metric(labels, counts.get("last_error_ms", 0))
        lags = counts.get("lag") or {}
        if lags:
            # The sink task's consumer, as Strimzi exposes the Java consumer's fetch manager metrics (client id
            # `connector-consumer-<connector>-<task>`, as Kafka Connect names it).
            client = f"connector-consumer-{view.name}-{labels[1]}"
            family = gauge("kafka_consumer_consumer_fetch_manager_metrics_records_lag",
                           "The latest lag of the partition (records not yet read).",
                           ("clientid", "topic", "partition"))
            for key, lag in sorted(lags.items()):
                topic, _, partition = key.rpartition("-")
                family.add_metric([client, topic, partition], lag)
            gauge("kafka_consumer_consumer_fetch_manager_metrics_records_lag_max",
                  "The largest lag of this task's partitions.", ("clientid",)).add_metric([client], max(lags.values()))


def registry(views: Callable[[], Iterable[ConnectorView]]) -> CollectorRegistry:
    """A registry holding only the connectors' metrics (see the module)."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(ConnectCollector(views))
    return reg


def render(reg: CollectorRegistry) -> bytes:
    """The registry in Prometheus's text format."""
    return generate_latest(reg)


def herder_views(herder: Any) -> Callable[[], list[ConnectorView]]:
    """The connectors of a REST worker's herder (`runtime.herder.Herder`), as the metrics see them."""
    from pyconnect_flow.runtime.store import connector_dir

    def views() -> list[ConnectorView]:
        out = []
        for name in getattr(herder, "local_connectors", herder.connectors)():
            try:
                status = herder.status(name)
                config = herder.config(name)
            except Exception:  # noqa: BLE001 - deleted meanwhile
                continue
            tasks = {int(t["id"]): str(t["state"]) for t in status["tasks"]}
            out.append(ConnectorView(name, status["connector"]["state"], config.get("connector.class", ""),
                                     status.get("type", "unknown"),
                                     connector_dir(herder.settings.root, name) / "metrics", tasks))
        return out

    return views


def run_views(connectors: Iterable[tuple[str, str, str]], directory: Path) -> Callable[[], list[ConnectorView]]:
    """The connectors (name, class, kind) of a run without the REST API, whose processes write their counts
    to `directory`: running while they run; a task for each process that reports."""
    given = list(connectors)

    def views() -> list[ConnectorView]:
        return [ConnectorView(name, "running", cls, kind, directory, None) for name, cls, kind in given]

    return views


def serve_metrics(port: int, reg: CollectorRegistry, host: str = "0.0.0.0") -> None:
    """Serve `reg` at http://host:port/metrics on a daemon thread (`metrics.port`)."""
    start_http_server(port, addr=host, registry=reg)
    log.info("Prometheus metrics on http://%s:%d/metrics", host, port)


def serve_run_metrics(options: RunOptions) -> str | None:
    """When the worker file of a run without the REST API sets `metrics.port`, serve the run's metrics
    there and return the directory its processes must write their counts to (else None)."""
    loaded = load(options, check_store=False)
    if loaded.metrics_port is None:
        return None
    directory = Path(tempfile.mkdtemp(prefix="pyconnect-flow-metrics-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    connectors = [(s.name, str(s.raw.get("connector.class", "")), s.kind) for s in loaded.specs]
    serve_metrics(loaded.metrics_port, registry(run_views(connectors, directory)))
    return str(directory)
