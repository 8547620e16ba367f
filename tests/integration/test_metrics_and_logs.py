"""A worker that says what it is doing: Prometheus metrics read back over HTTP while real connectors move
records through a real Kafka, and the lifecycle and progress lines of the same run's log."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pyconnect_flow.net import free_ports
from tests.integration.kafka_helpers import produce, read_topic, start_cli, write_properties
from tests.integration.rest_helpers import RestWorker, wait_until

pytestmark = pytest.mark.timeout(400)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of a Prometheus endpoint: (name, labels) → value."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_metrics_over_the_rest_listener_count_what_the_connectors_moved(kafka, tmp_path: Path,
                                                                         unique_name: str) -> None:
    topic, dlq = unique_name, f"{unique_name}-dlq"
    kafka.create_topic(topic, partitions=1)
    good = [str(i) for i in range(1, 21)]
    bad = [f"not json {i} {{" for i in range(5)]
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("".join(line + "\n" for line in good[:10] + bad + good[10:]))
    source, sink, strict = f"{topic}-src", f"{topic}-sink", f"{topic}-strict"
    json_values = {"value.converter": "org.apache.kafka.connect.json.JsonConverter",
                   "value.converter.schemas.enable": "false"}

    with RestWorker(tmp_path, kafka.bootstrap_servers, env={"PYCONNECT_FLOW_LOG_LEVEL": "INFO"},
                    progress_log_interval_ms="500") as worker:
        api = worker.client
        assert api.post("/connectors", json={"name": source, "config": {
            "connector.class": "FileStreamSource", "file": str(src), "topic": topic,
            "file.poll.interval.ms": "100"}}).status_code == 201
        assert api.post("/connectors", json={"name": sink, "config": {
            "connector.class": "FileStreamSink", "topics": topic, "file": str(out), **json_values,
            "errors.tolerance": "all", "errors.log.enable": "true", "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1"}}).status_code == 201
        assert wait_until(lambda: len(_lines(out)) >= 20, 90), _lines(out)

        # What actually moved: 25 lines to Kafka, 20 into the file, 5 dead letters.
        assert len(read_topic(kafka.bootstrap_servers, topic, expected=25)) == 25
        assert _lines(out) == good
        assert len(read_topic(kafka.bootstrap_servers, dlq, expected=5)) == 5

        url = f"{worker.url}/metrics"
        task = {"task": "0"}
        last: Samples = {}

        def counted() -> bool:
            nonlocal last
            last = scrape(url)
            return (value(last, "kafka_connect_sink_task_sink_record_send_total", connector=sink, **task) == 20
                    and value(last, "kafka_connect_task_error_deadletterqueue_produce_requests", connector=sink,
                              **task) == 5)

        assert wait_until(counted, 30), {k: v for k, v in last.items() if "task" in k[0]}
        m = last
        assert value(m, "kafka_connect_source_task_source_record_poll_total", connector=source, **task) == 25
        assert value(m, "kafka_connect_source_task_source_record_write_total", connector=source, **task) == 25
        assert value(m, "kafka_connect_sink_task_sink_record_read_total", connector=sink, **task) == 25
        assert value(m, "kafka_connect_task_error_total_record_errors", connector=sink, **task) == 5
        assert value(m, "kafka_connect_task_error_total_records_skipped", connector=sink, **task) == 5
        assert value(m, "kafka_connect_task_error_total_errors_logged", connector=sink, **task) == 5
        assert value(m, "kafka_connect_task_error_total_record_errors", connector=source, **task) == 0
        last_error = value(m, "kafka_connect_task_error_last_error_timestamp", connector=sink, **task)
        assert last_error is not None and abs(last_error / 1000 - time.time()) < 300
        assert (value(m, "kafka_connect_sink_task_sink_record_read_rate", connector=sink, **task) or 0) > 0
        for name in (source, sink):
            assert value(m, "kafka_connect_connector_status", connector=name, status="running") == 1
            assert value(m, "kafka_connect_connector_task_status", connector=name, status="running", **task) == 1
            assert value(m, "kafka_connect_worker_connector_running_task_count", connector=name) == 1
        assert value(m, "kafka_connect_connector_connector_type", connector=sink, connector_type="sink") == 1
        assert value(m, "kafka_connect_worker_connector_count") == 2

        # Paused and failed connectors show so; a connector that failed is logged with its cause.
        assert api.put(f"/connectors/{sink}/pause").status_code == 202
        worker.wait_state(sink, "PAUSED")
        assert value(scrape(url), "kafka_connect_connector_status", connector=sink, status="paused") == 1
        # Records arriving while the sink is paused show as its consumer's lag (Strimzi's consumer metric names).
        produce(kafka.bootstrap_servers, topic, [{"value": b"7"} for _ in range(7)])
        client = {"clientid": f"connector-consumer-{sink}-0"}

        def lagging() -> bool:
            nonlocal last
            last = scrape(url)
            return value(last, "kafka_consumer_consumer_fetch_manager_metrics_records_lag", topic=topic,
                         partition="0", **client) == 7

        assert wait_until(lagging, 30), {k: v for k, v in last.items() if "lag" in k[0]}
        assert value(last, "kafka_consumer_consumer_fetch_manager_metrics_records_lag_max", **client) == 7
        assert api.post("/connectors", json={"name": strict, "config": {
            "connector.class": "FileStreamSink", "topics": topic, "file": str(tmp_path / "strict.txt"),
            **json_values}}).status_code == 201
        trace = worker.wait_state(strict, "FAILED", timeout=90)["connector"]["trace"]
        assert value(scrape(url), "kafka_connect_connector_status", connector=strict, status="failed") == 1
        assert api.put(f"/connectors/{source}/stop").status_code == 204
        code, log = worker.stop()
    assert code == 0, log

    # Lifecycle lines, as Kafka Connect's: created, started, paused, failed with the cause, stopping.
    for line in (f"Creating connector {source} of type FileStreamSource",
                 f"Creating task {sink}-0",
                 f"WorkerSourceTask{{id={source}-0}} Source task finished initialization and start",
                 f"WorkerSinkTask{{id={sink}-0}} Sink task finished initialization and start",
                 f"Setting connector {sink} state to PAUSED",
                 f"Connector {sink} paused",
                 f"Setting connector {source} state to STOPPED",
                 f"Stopping connector {source}",
                 f"Completed shutdown for connector {source}",
                 f"WorkerSourceTask{{id={source}-0}} Task stopped: 25 records in, 25 out, 0 errors"):
        assert line in log, f"{line!r} not logged:\n{log[-4000:]}"
    failed = [line for line in log.splitlines() if f"WorkerSinkTask{{id={strict}-0}} Task threw" in line]
    assert len(failed) == 1 and "ERROR" in failed[0] and trace in failed[0], log[-4000:]
    # Progress lines every 500 ms at INFO, with the counts of the run.
    progress = re.findall(rf"INFO \S+: WorkerSinkTask\{{id={re.escape(sink)}-0\}} progress: (\d+) records read "
                          r"\([\d.]+/s\), (\d+) sent \([\d.]+/s\), (\d+) errors, (\d+) skipped, (\d+) sent to the "
                          "dead letter queue", log)
    assert len(progress) >= 3, log[-4000:]
    assert ("25", "20", "5", "5", "5") in progress
    assert re.search(rf"WorkerSinkTask\{{id={re.escape(sink)}-0\}} progress: .* dead letter queue, lag 7\b", log), \
        log[-4000:]


def test_metrics_port_serves_a_run_without_the_rest_api_one_task_per_process(kafka, tmp_path: Path,
                                                                              unique_name: str) -> None:
    topic = unique_name
    kafka.create_topic(topic, partitions=3)
    files = []
    for i in range(3):
        path = tmp_path / f"in{i}.txt"
        path.write_text("".join(f"file{i} line {j}\n" for j in range(20)))
        files.append(str(path))
    port = free_ports(1)[0]
    worker = write_properties(tmp_path / "worker.properties", {
        "bootstrap.servers": kafka.bootstrap_servers, "offset.storage.file.filename": str(tmp_path / "offsets"),
        "offset.flush.interval.ms": "200", "metrics.port": str(port),
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter"})
    connector = write_properties(tmp_path / "source.properties", {
        "name": topic, "connector.class": "FileStreamSource", "files": ",".join(files), "topic": topic,
        "tasks.max": "2"})
    process = start_cli(["standalone", str(worker), str(connector)])
    tasks = ("0", "1")
    try:
        assert len(read_topic(kafka.bootstrap_servers, topic, expected=60, timeout=90)) == 60
        last: Samples = {}

        def total(name: str) -> float:
            return sum(value(last, name, connector=topic, task=t) or 0 for t in tasks)

        def counted() -> bool:
            nonlocal last
            try:
                last = scrape(f"http://127.0.0.1:{port}/metrics")
            except httpx.TransportError:
                return False
            return total("kafka_connect_source_task_source_record_write_total") == 60

        assert wait_until(counted, 30), last
        assert total("kafka_connect_source_task_source_record_poll_total") == 60
        for t in tasks:  # each process reads its share of the files (3 files over 2 processes: 2 and 1)
            assert (value(last, "kafka_connect_source_task_source_record_poll_total", connector=topic, task=t)
                    or 0) in (20, 40)
            assert value(last, "kafka_connect_connector_task_status", connector=topic, task=t,
                         status="running") == 1
        assert value(last, "kafka_connect_connector_status", connector=topic, status="running") == 1
        assert value(last, "kafka_connect_worker_task_count") == 2
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=90)
    assert process.returncode == 0, err
    for t in tasks:
        assert f"WorkerSourceTask{{id={topic}-{t}}} Source task finished initialization and start" in err, err
        assert f"WorkerSourceTask{{id={topic}-{t}}} Task stopped" in err, err
