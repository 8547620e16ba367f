"""`pyconnect-flow distributed connect-distributed.properties`: one worker of a distributed cluster.

Reads Kafka's stock distributed worker file (`bootstrap.servers`, `group.id`, the three storage topics with
their partitions and replication factors, `listeners`, `rest.advertised.*`, converters), creates the
cluster's topics if missing, joins the group and serves Kafka Connect's REST API; connector writes made on a
follower are forwarded to the leader (`rest.forward`). See `runtime.distributed` for how the work is shared.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pyconnect_flow.config import load_worker_config
from pyconnect_flow.config.definition import ConfigException, ConfigIssue
from pyconnect_flow.engine.spec import validate_worker, worker_file_issues
from pyconnect_flow.rest.forward import LeaderForwarding
from pyconnect_flow.runtime.assignment import AssignmentStore
from pyconnect_flow.runtime.cluster import ClusterSettings, ClusterStores
from pyconnect_flow.runtime.distributed import DistributedHerder
from pyconnect_flow.runtime.herder import HerderSettings, default_root
from pyconnect_flow.runtime.kafka_store import (
    InternalTopics,
    KafkaConfigStore,
    KafkaOffsetStore,
    KafkaStatusStore,
    TopicSpec,
)
from pyconnect_flow.runtime.membership import GroupMembership
from pyconnect_flow.runtime.worker import Listener, parse_listeners, serve_herder

log = logging.getLogger(__name__)

_REQUIRED = ("group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic")


def build_distributed_herder(worker_file: str, log_level: str = "INFO",
                             epoch_interval_ms: int | None = None) -> tuple[DistributedHerder, list[Listener]]:
    """The herder of a distributed worker file and its listeners (every bad or missing key listed at once)."""
    raw = load_worker_config(worker_file)
    try:
        worker, values = validate_worker(raw, worker_file)
        issues = worker_file_issues(worker, uses_kafka=True)
    except ConfigException as exc:  # listed with the distributed keys' problems below, all at once
        worker, values, issues = dict(raw), {}, list(exc.issues)
    issues += [ConfigIssue(key, "Missing required configuration which has no default value")
               for key in _REQUIRED if not str(worker.get(key, "")).strip()]
    for key in ("session.timeout.ms", "heartbeat.interval.ms", "rebalance.timeout.ms"):
        if key in worker and not str(worker[key]).strip().isdigit():
            issues.append(ConfigIssue(key, f"Invalid value {worker[key]!r}: a whole number of milliseconds"))
    if issues:
        raise ConfigException(worker_file, issues, what="worker")
    topics = InternalTopics.from_worker(worker)
    listeners = parse_listeners(worker.get("listeners"))
    listener = listeners[0]
    # Resolved values: a pod names itself with ${env:POD_NAME} (deploy/kubernetes).
    host = worker.get("rest.advertised.host.name") or listener.advertised.rsplit(":", 1)[0]
    port = worker.get("rest.advertised.port") or str(listener.port)
    scheme = worker.get("rest.advertised.listener") or listener.scheme
    group_id = worker["group.id"].strip()
    assignment_topic = TopicSpec(
        str(values.get("pyconnect.assignment.storage.topic") or f"{group_id}-assignments"), 1,
        topics.config.replication_factor, {}, "pyconnect.assignment.storage.topic")
    data_dir = values.get("pyconnect.data.dir")
    root = Path(data_dir) / "connectors" if data_dir else default_root()
    root.mkdir(parents=True, exist_ok=True)
    settings = HerderSettings(
        worker_file=worker_file, worker=worker, root=root, worker_id=f"{host}:{port}",
        epoch_interval_ms=epoch_interval_ms, log_level=log_level,
        topic_tracking=worker.get("topic.tracking.enable", "true").strip().lower() != "false",
        topic_tracking_reset=worker.get("topic.tracking.allow.reset", "true").strip().lower() != "false")
    url = f"{scheme}://{host}:{port}"
    cluster = ClusterSettings(group_id, url, int(worker.get("session.timeout.ms", "10000")) / 1000,
                              bool(values.get("pyconnect.restart.on.failure")))
    stores = ClusterStores(KafkaConfigStore(worker, topics.config), KafkaStatusStore(worker, topics.status),
                           KafkaOffsetStore(worker, topics.offsets), AssignmentStore(worker, assignment_topic))
    membership = GroupMembership(worker, group_id, assignment_topic.name, url)
    return DistributedHerder(settings, cluster, stores, membership), listeners


def run_distributed(worker_file: str, log_level: str = "INFO", epoch_interval_ms: int | None = None) -> int:
    """Run one distributed worker until SIGINT/SIGTERM; returns the exit status."""
    herder, listeners = build_distributed_herder(worker_file, log_level, epoch_interval_ms)
    log.warning("Distributed worker %s joining group %r", herder.settings.worker_id, herder.cluster.group_id)
    return serve_herder(herder, listeners, (), wrap=lambda app: LeaderForwarding(app, herder))
