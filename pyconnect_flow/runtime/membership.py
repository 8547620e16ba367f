"""A distributed worker's membership of its cluster, kept by Kafka's group coordinator.

Every worker of a cluster (one `group.id`) is a consumer of that group subscribed to the cluster's
single-partition assignment topic. The coordinator keeps the members (a worker that stops heartbeating is
removed after `session.timeout.ms`) and gives the one partition to exactly one of them: that worker is the
leader. With the cooperative-sticky assignor the partition stays with its owner while the owner lives, so
leadership moves only when the leader leaves. The leader learns the members from the coordinator
(`describe_consumer_groups`); each member's `client.id` is its REST URL. No election or membership
protocol of our own: the coordinator's is the only one.

A worker cut off from Kafka keeps believing it owns the partition until librdkafka notices the lost
session; `runtime.distributed` therefore also stops its connectors when it has not reached Kafka for a
session timeout (its own fence), so two workers never both run a connector for longer than that.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyconnect_flow.connectors.kafka_clients import admin_client, client_config, request_timeout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Members:
    """The group as the coordinator describes it: `stable` once no rebalance is in progress."""

    stable: bool
    urls: frozenset[str]
    """The REST URL (`client.id`) of every member."""


class GroupMembership:
    """Joins the cluster's group and says whether this worker leads it (see the module).

    Args:
        worker: The worker's config (clients' settings; `session.timeout.ms`, `heartbeat.interval.ms`,
            `rebalance.timeout.ms` as Kafka Connect's worker keys).
        group_id: The cluster's `group.id`.
        topic: The assignment topic (one partition), created by the caller.
        url: This worker's REST URL, its `client.id` in the group.
    """

    def __init__(self, worker: Mapping[str, str], group_id: str, topic: str, url: str) -> None:
        self.group_id = group_id
        self.topic = topic
        self.url = url
        self._conf = client_config(worker, "consumer")
        self._conf.update({
            "group.id": group_id, "client.id": url, "enable.auto.commit": False, "auto.offset.reset": "latest",
            "partition.assignment.strategy": "cooperative-sticky",
            "session.timeout.ms": int(worker.get("session.timeout.ms", "10000")),
            "heartbeat.interval.ms": int(worker.get("heartbeat.interval.ms", "3000")),
            "max.poll.interval.ms": int(worker.get("rebalance.timeout.ms", "60000")),
        })
        self._admin_conf = client_config(worker, "admin")
        self._admin: Any = None
        self._consumer: Any = None
        self._owns = False
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Join the group (in the background: `is_leader` says when this worker leads)."""
        from confluent_kafka import Consumer

        self._admin = admin_client(self._admin_conf)
        self._consumer = Consumer(self._conf)
        self._consumer.subscribe([self.topic], on_assign=self._assigned, on_revoke=self._revoked,
                                 on_lost=self._revoked)
        self._thread = threading.Thread(target=self._poll, name="pyconnect-flow-membership", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Leave the group at once (the others rebalance without waiting for a session timeout)."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join(10)
        with self._lock:
            self._owns = False
            if self._consumer is not None:
                try:
                    self._consumer.close()
                except Exception as exc:  # noqa: BLE001 - leaving is best effort; the session times out anyway
                    log.warning("Leaving the group %r: %s", self.group_id, exc)
                self._consumer = None

    @property
    def is_leader(self) -> bool:
        """Whether the coordinator gave this worker the assignment topic's partition."""
        return self._owns

    def members(self) -> Members:
        """The group's members now, from the coordinator."""
        from confluent_kafka import ConsumerGroupState

        timeout = request_timeout(self._admin_conf)
        future = self._admin.describe_consumer_groups([self.group_id], request_timeout=timeout)[self.group_id]
        description = future.result(timeout)
        urls = frozenset(str(m.client_id) for m in description.members)
        return Members(description.state == ConsumerGroupState.STABLE, urls)

    def _poll(self) -> None:
        while not self._closed.is_set():
            with self._lock:
                consumer = self._consumer
                if consumer is None:
                    return
                try:
                    consumer.poll(0.2)  # heartbeats and rebalance callbacks; the records are not needed
                except Exception as exc:  # noqa: BLE001 - reported, the loop goes on (the coordinator decides)
                    log.warning("Group %r: %s", self.group_id, exc)
                    time.sleep(0.5)
            time.sleep(0.05)

    def _assigned(self, consumer: Any, partitions: list[Any]) -> None:
        if any(p.topic == self.topic for p in partitions):
            if not self._owns:
                log.info("This worker (%s) is now the leader of group %r", self.url, self.group_id)
            self._owns = True

    def _revoked(self, consumer: Any, partitions: list[Any]) -> None:
        if any(p.topic == self.topic for p in partitions):
            if self._owns:
                log.info("This worker (%s) no longer leads group %r", self.url, self.group_id)
            self._owns = False
