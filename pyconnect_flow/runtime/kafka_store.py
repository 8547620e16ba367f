"""Kafka Connect's internal topics, read and written as Kafka Connect's distributed workers do.

A Connect cluster keeps its state in three topics named by the worker config; a store here reads one to
its end on start (and on every `refresh`), and writes records with Connect's keys and the JSON values
of its internal converter (`JsonConverter`, schemas off), so a Kafka Connect cluster and pyconnect-flow
read each other's records (see docs/distributed.md):

- **config** (`config.storage.topic`, compacted, one partition): `connector-<name>` →
  `{"properties": {...}}`, `target-state-<name>` → `{"state": "STARTED"|"PAUSED", "state.v2":
  "STARTED"|"PAUSED"|"STOPPED"}`, `task-<name>-<n>` → `{"properties": {...}}`, `commit-<name>` →
  `{"tasks": n}` (task configs count only once committed), `restart-connector-<name>` →
  `{"include-tasks": bool, "only-failed": bool}`; a deleted connector's keys get tombstones.
  `KafkaConfigStore` is a `ConfigStore` (the herder's connector configs and target states).
- **status** (`status.storage.topic`, compacted): `status-connector-<name>` and `status-task-<name>-<n>` →
  `{"state", "trace", "worker_id", "generation", "version"}` (`KafkaStatusStore`).
- **offsets** (`offset.storage.topic`, compacted): `["<connector>", {partition}]` → `{offset}`, null to
  forget a partition (`KafkaOffsetStore`). Records are spread over the partitions by the murmur2 hash of
  the key, as Java's producer does, so one source partition's positions stay in one topic partition.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyconnect_flow.connectors.kafka_clients import admin_client, client_config, describe, request_timeout
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.engine.offsets_topic import compact_json as _compact_json
from pyconnect_flow.engine.offsets_topic import offset_record
from pyconnect_flow.runtime.store import TARGET_STATES, ConfigStore, StoredConnector

log = logging.getLogger(__name__)

CONNECTOR_PREFIX = "connector-"
TARGET_STATE_PREFIX = "target-state-"
TASK_PREFIX = "task-"
COMMIT_PREFIX = "commit-"
RESTART_PREFIX = "restart-connector-"
STATUS_CONNECTOR_PREFIX = "status-connector-"
STATUS_TASK_PREFIX = "status-task-"

_TO_CONNECT_STATE = {"RUNNING": "STARTED", "PAUSED": "PAUSED", "STOPPED": "STOPPED"}
_FROM_CONNECT_STATE = {v: k for k, v in _TO_CONNECT_STATE.items()}


# ------------------------------------------------------------------ topic settings


@dataclass(frozen=True)
class TopicSpec:
    """One internal topic: its name, partitions and replication factor (-1: the broker's default)."""

    name: str
    partitions: int
    replication_factor: int
    settings: Mapping[str, str] = field(default_factory=dict)
    #: The worker setting that names it (`config.storage.topic`, …), for messages.
    key: str = ""


@dataclass(frozen=True)
class InternalTopics:
    """The three topics of a Connect cluster, as a distributed worker's config names them."""

    config: TopicSpec
    offsets: TopicSpec
    status: TopicSpec

    @classmethod
    def from_worker(cls, worker: Mapping[str, str]) -> InternalTopics:
        """The topics of `connect-distributed.properties` entries, with Connect's defaults (replication
        factor 3, 25 offsets and 5 status partitions; `<prefix>.<topic setting>` entries are topic configs)."""
        specs = []
        for prefix, partitions in (("config.storage", "1"), ("offset.storage", "25"), ("status.storage", "5")):
            name = worker.get(f"{prefix}.topic", "").strip()
            if not name:
                raise ConnectException(f"Missing required configuration \"{prefix}.topic\" which has no default "
                                       "value (the name of Kafka Connect's internal topic)")
            known = {"topic", "replication.factor", "partitions", "file.filename"}
            settings = {k[len(prefix) + 1:]: str(v) for k, v in worker.items()
                        if k.startswith(prefix + ".") and k[len(prefix) + 1:] not in known}
            count = 1 if prefix == "config.storage" else _integer(worker, f"{prefix}.partitions", partitions)
            specs.append(TopicSpec(name, count, _integer(worker, f"{prefix}.replication.factor", "3"), settings,
                                   f"{prefix}.topic"))
        return cls(specs[0], specs[1], specs[2])


def _integer(worker: Mapping[str, str], key: str, default: str) -> int:
    raw = str(worker.get(key, default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ConnectException(f"Invalid value {raw!r} for configuration {key}: not an integer") from None
    if value == 0 or value < -1:
        raise ConnectException(f"Invalid value {value} for configuration {key}: must be -1 (the broker's "
                               "default) or at least 1")
    return value


# ------------------------------------------------------------------ a compacted topic


class TopicLog:
    """A compacted topic read from its start to its end and written one flushed record at a time (the job of
    Connect's `KafkaBasedLog`). `apply(key, value)` receives every record in order (value None: tombstone).
    The first read or write starts it when `start()` was not called."""

    def __init__(self, conf: Mapping[str, Any], spec: TopicSpec, apply: Callable[[str, bytes | None], None]) -> None:
        self.conf = dict(conf)
        self.spec = spec
        self._apply = apply
        self._consumer: Any = None
        self._producer: Any = None
        self._admin: Any = None
        self._partitions: list[int] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Create the topic if missing (compacted, as Connect does), then read it to its end."""
        from confluent_kafka import Consumer, Producer, TopicPartition

        self._partitions = self._ensure_topic()
        consumer_conf = dict(self.conf)
        consumer_conf.update({"group.id": f"pyconnect-flow-{self.spec.name}", "enable.auto.commit": False,
                              "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                              "enable.partition.eof": True})
        self._consumer = Consumer(consumer_conf)
        self._consumer.assign([TopicPartition(self.spec.name, p, 0) for p in self._partitions])
        self._producer = Producer({**self.conf, "acks": "all", "enable.idempotence": True,
                                   "partitioner": "murmur2_random", "linger.ms": 0})
        self.refresh()

    def close(self) -> None:
        """Release the clients (what was written is already flushed)."""
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        if self._producer is not None:
            self._producer.flush(request_timeout(self.conf))
            self._producer = None

    def _ensure_topic(self) -> list[int]:
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.admin import NewTopic

        timeout = request_timeout(self.conf)
        admin = admin_client(self.conf)
        try:
            topics = admin.list_topics(timeout=timeout).topics
            if self.spec.name not in topics:
                config = {**self.spec.settings, "cleanup.policy": "compact"}
                future = admin.create_topics([NewTopic(self.spec.name, self.spec.partitions,
                                                       self.spec.replication_factor, config=config)],
                                             request_timeout=timeout)[self.spec.name]
                try:
                    future.result(timeout)
                    log.info("Created Kafka Connect's internal topic %r", self.spec.name)
                except KafkaException as exc:
                    if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                        raise
                topics = admin.list_topics(self.spec.name, timeout=timeout).topics
            policy = self._cleanup_policy(admin, timeout)
        except KafkaException as exc:
            raise ConnectException(f"Cannot prepare the internal topic {self.spec.name!r} on {describe(self.conf)}: "
                                   f"{exc.args[0].str()}") from None
        supplied = f"Topic '{self.spec.name}'" + (f" supplied via the '{self.spec.key}' property" if self.spec.key
                                                   else "")
        if policy != "compact":
            raise ConnectException(f"{supplied} is required to have 'cleanup.policy=compact' to guarantee consistency "
                                   f"and durability of Kafka Connect's state, but found the topic currently has "
                                   f"'cleanup.policy={policy}'. Use a topic with 'cleanup.policy=compact'.")
        partitions = sorted(topics[self.spec.name].partitions)
        if self.spec.partitions == 1 and len(partitions) != 1:
            raise ConnectException(f"{supplied} is required to have a single partition in order to guarantee "
                                   f"consistency of connector configurations, but found {len(partitions)} partitions.")
        return partitions

    def _cleanup_policy(self, admin: Any, timeout: float) -> str:
        from confluent_kafka.admin import ConfigResource

        future = admin.describe_configs([ConfigResource("topic", self.spec.name)], request_timeout=timeout)
        entries = next(iter(future.values())).result(timeout)
        entry = entries.get("cleanup.policy")
        return "" if entry is None or entry.value is None else str(entry.value).replace(" ", "")

    def refresh(self) -> None:
        """Read every record written so far (up to the end offsets seen now) and apply it."""
        from confluent_kafka import KafkaError, TopicPartition

        if self._consumer is None:
            self.start()  # started on first use: the herder knows only ConfigStore's methods
            return
        timeout = request_timeout(self.conf)
        with self._lock:
            ends = self._end_offsets(timeout)
            positions = {tp.partition: tp.offset for tp in
                         self._consumer.position([TopicPartition(self.spec.name, p) for p in self._partitions])}
            waiting = {p for p in self._partitions if ends[p] > max(positions.get(p, 0), 0)}
            while waiting:
                message = self._consumer.poll(timeout)
                if message is None:
                    raise ConnectException(f"Reading the internal topic {self.spec.name!r} to its end took over "
                                           f"{timeout:.0f}s (partitions {sorted(waiting)} not read)")
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        if message.offset() >= ends[message.partition()]:
                            waiting.discard(message.partition())
                        continue
                    raise ConnectException(f"Reading the internal topic {self.spec.name!r}: {error.str()}")
                raw_key = message.key()
                if raw_key is None:
                    log.error("Ignoring a record without key in %s at offset %d", self.spec.name, message.offset())
                else:
                    self._apply(raw_key.decode("utf-8", "replace"), message.value())
                if message.offset() + 1 >= ends[message.partition()]:
                    waiting.discard(message.partition())

    def _end_offsets(self, timeout: float) -> dict[int, int]:
        """Every partition's end offset (the last stable one), in one request of the admin client: the
        consumer's own queries wait behind its fetches (half a second each, per partition)."""
        import time

        from confluent_kafka import IsolationLevel, KafkaException, TopicPartition
        from confluent_kafka.admin import OffsetSpec

        if self._admin is None:
            self._admin = admin_client(self.conf)
        wanted = {TopicPartition(self.spec.name, p): OffsetSpec.latest() for p in self._partitions}
        deadline = time.monotonic() + timeout
        while True:
            try:
                futures = self._admin.list_offsets(wanted, isolation_level=IsolationLevel.READ_COMMITTED,
                                                   request_timeout=timeout)
                return {tp.partition: int(future.result(timeout).offset) for tp, future in futures.items()}
            except KafkaException as exc:
                error = exc.args[0]
                # A topic just created may not have a leader yet: wait it out.
                if not error.retriable() and "leader" not in error.str().lower() or time.monotonic() > deadline:
                    raise ConnectException(f"Cannot read the end of the internal topic {self.spec.name!r}: "
                                           f"{error.str()}") from None
                time.sleep(0.1)

    def write(self, records: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Produce `records` (key, value or None) in order and wait until Kafka has them all."""
        if self._producer is None:
            self.start()
        failures: list[str] = []

        def delivered(err: Any, message: Any) -> None:
            if err is not None:
                failures.append(f"{message.key()!r}: {err.str()}")

        for key, value in records:
            self._producer.produce(self.spec.name, key=key, value=value, on_delivery=delivered)
        remaining = self._producer.flush(request_timeout(self.conf))
        if failures or remaining:
            detail = "; ".join(failures) or f"{remaining} records not acknowledged in time"
            raise ConnectException(f"Writing to the internal topic {self.spec.name!r} failed: {detail}")


class TopicStore:
    """What every store over one compacted topic does with its `TopicLog`: start, refresh, close."""

    log: TopicLog

    def start(self) -> None:
        """Create the topic if needed and read it to its end."""
        self.log.start()

    def refresh(self) -> None:
        """Read the records written since the last read."""
        self.log.refresh()

    def close(self) -> None:
        """Release the Kafka clients (what was written is already flushed)."""
        self.log.close()


# ------------------------------------------------------------------ config topic


@dataclass
class RestartRequest:
    """A `restart-connector-<name>` record (KIP-745): what a `POST /connectors/<name>/restart` asked for."""

    connector: str
    include_tasks: bool
    only_failed: bool


class KafkaConfigStore(TopicStore, ConfigStore):
    """Connector configs, target states and task configs in Connect's config topic (see the module).

    Args:
        worker: The worker's config (`bootstrap.servers`, security settings, `config.storage.*`).
        spec: The topic (default: from `worker`, as `InternalTopics.from_worker`).
    """

    def __init__(self, worker: Mapping[str, str], spec: TopicSpec | None = None) -> None:
        self.spec = spec or InternalTopics.from_worker(worker).config
        self.log = TopicLog(client_config(worker, "admin"), self.spec, self._apply)
        self.configs: dict[str, dict[str, str]] = {}
        self.target_states: dict[str, str] = {}
        self.task_configs: dict[str, list[dict[str, str]]] = {}
        self.restart_requests: dict[str, RestartRequest] = {}
        self.restart_counts: dict[str, int] = {}
        """How many restart requests were read per connector (a new one raises the count)."""
        self._pending_tasks: dict[str, dict[int, dict[str, str]]] = {}
        self._lock = threading.RLock()  # one reader or writer at a time: the REST API calls from many threads

    # ConfigStore ------------------------------------------------------------------

    def load(self) -> list[StoredConnector]:
        with self._lock:
            self.log.refresh()
            return [StoredConnector(name, dict(config), self.target_state(name))
                    for name, config in sorted(self.configs.items())]

    def target_state(self, name: str) -> str:
        """The target state of a connector as the herder names it (RUNNING when no record says otherwise)."""
        return self.target_states.get(name, "RUNNING")

    def put(self, connector: StoredConnector) -> None:
        if connector.target_state not in TARGET_STATES:
            raise ConnectException(f"Invalid target state {connector.target_state!r} for connector "
                                   f"{connector.name!r}: expected one of {', '.join(TARGET_STATES)}")
        with self._lock:
            self._put(connector)

    def _put(self, connector: StoredConnector) -> None:
        self.log.refresh()
        records: list[tuple[bytes, bytes | None]] = []
        known = connector.name in self.configs
        if (known or connector.target_state != "RUNNING") and self.target_state(connector.name) != connector.target_state:
            state = _TO_CONNECT_STATE[connector.target_state]
            # Workers before Kafka 3.5 know no STOPPED: Connect writes PAUSED for them and the state in "state.v2".
            value = {"state": "PAUSED" if state == "STOPPED" else state, "state.v2": state}
            records.append(((TARGET_STATE_PREFIX + connector.name).encode(), _compact_json(value)))
        if self.configs.get(connector.name) != connector.config:
            records.append(((CONNECTOR_PREFIX + connector.name).encode(),
                            _compact_json({"properties": dict(connector.config)})))
        if records:
            self.log.write(records)
            self.log.refresh()

    def remove(self, name: str) -> None:
        with self._lock:
            self.log.write([((CONNECTOR_PREFIX + name).encode(), None),
                            ((TARGET_STATE_PREFIX + name).encode(), None)])
            self.log.refresh()

    # tasks and restarts --------------------------------------------------------------

    def put_task_configs(self, name: str, tasks: Sequence[Mapping[str, str]]) -> None:
        """Write a connector's task configs, then the `commit-<name>` record that makes them count."""
        records: list[tuple[bytes, bytes | None]] = [
            (f"{TASK_PREFIX}{name}-{n}".encode(), _compact_json({"properties": dict(task)}))
            for n, task in enumerate(tasks)]
        records.append(((COMMIT_PREFIX + name).encode(), _compact_json({"tasks": len(tasks)})))
        self.log.write(records)
        self.log.refresh()

    def request_restart(self, request: RestartRequest) -> None:
        """Write a `restart-connector-<name>` record for the worker that runs the connector."""
        value = {"include-tasks": request.include_tasks, "only-failed": request.only_failed}
        self.log.write([((RESTART_PREFIX + request.connector).encode(), _compact_json(value))])
        self.log.refresh()

    # reading ---------------------------------------------------------------------------

    def _apply(self, key: str, raw: bytes | None) -> None:
        try:
            value = None if raw is None else json.loads(raw)
            if value is not None and not isinstance(value, dict):
                raise ValueError("not a JSON object")
            self._apply_value(key, value)
        except (ValueError, KeyError, TypeError) as exc:
            log.error("Ignoring the record %r of the config topic %r: its value cannot be read (%s)",
                      key, self.spec.name, exc)

    def _apply_value(self, key: str, value: dict[str, Any] | None) -> None:
        if key.startswith(TARGET_STATE_PREFIX):
            name = key[len(TARGET_STATE_PREFIX):]
            if value is None:
                self.target_states.pop(name, None)
                return
            state = str(value.get("state.v2") or value["state"])
            if state not in _FROM_CONNECT_STATE:
                raise ValueError(f"unknown target state {state!r}")
            self.target_states[name] = _FROM_CONNECT_STATE[state]
        elif key.startswith(CONNECTOR_PREFIX):
            name = key[len(CONNECTOR_PREFIX):]
            if value is None:
                for table in (self.configs, self.target_states, self.task_configs, self._pending_tasks,
                              self.restart_requests):
                    table.pop(name, None)
                return
            self.configs[name] = _properties(value)
        elif key.startswith(TASK_PREFIX):
            name, _, number = key[len(TASK_PREFIX):].rpartition("-")
            if not name or not number.isdigit():
                raise ValueError("the key names no task (task-<connector>-<number>)")
            if value is not None:
                self._pending_tasks.setdefault(name, {})[int(number)] = _properties(value)
        elif key.startswith(COMMIT_PREFIX):
            name = key[len(COMMIT_PREFIX):]
            if value is None:
                return
            count = int(value["tasks"])
            pending = self._pending_tasks.pop(name, {})
            previous = dict(enumerate(self.task_configs.get(name, [])))
            merged = {**previous, **pending}
            if any(n not in merged for n in range(count)):
                log.error("Ignoring the task commit of connector %r: the config topic %r lacks some of its %d "
                          "task configs", name, self.spec.name, count)
                return
            self.task_configs[name] = [merged[n] for n in range(count)]
        elif key.startswith(RESTART_PREFIX):
            name = key[len(RESTART_PREFIX):]
            if value is None:
                self.restart_requests.pop(name, None)
                return
            self.restart_requests[name] = RestartRequest(name, bool(value.get("include-tasks", False)),
                                                         bool(value.get("only-failed", False)))
            self.restart_counts[name] = self.restart_counts.get(name, 0) + 1
        # session-key, tasks-fencing-<name>, logger-cluster-<namespace>: not ours to use yet.


def _properties(value: Mapping[str, Any]) -> dict[str, str]:
    properties = value["properties"]
    if not isinstance(properties, dict):
        raise ValueError("\"properties\" is not a JSON object")
    return {str(k): str(v) for k, v in properties.items() if v is not None}


# ------------------------------------------------------------------ status topic


@dataclass(frozen=True)
class Status:
    """A connector's or task's state as a worker reported it (Connect's AbstractStatus)."""

    state: str
    worker_id: str
    generation: int
    trace: str | None = None
    version: str | None = None

    def to_json(self) -> bytes:
        return _compact_json({"state": self.state, "trace": self.trace, "worker_id": self.worker_id,
                              "generation": self.generation, "version": self.version})


STATUS_STATES = ("UNASSIGNED", "RUNNING", "PAUSED", "STOPPED", "FAILED", "RESTARTING", "DESTROYED")


class KafkaStatusStore(TopicStore):
    """Connector and task statuses in Connect's status topic (see the module)."""

    def __init__(self, worker: Mapping[str, str], spec: TopicSpec | None = None) -> None:
        self.spec = spec or InternalTopics.from_worker(worker).status
        self.log = TopicLog(client_config(worker, "admin"), self.spec, self._apply)
        self.connectors: dict[str, Status] = {}
        self.tasks: dict[str, dict[int, Status]] = {}

    def put_connector(self, name: str, status: Status) -> None:
        """Write a connector's status."""
        self._put(STATUS_CONNECTOR_PREFIX + name, status)

    def put_task(self, name: str, task: int, status: Status) -> None:
        """Write the status of task `task` of a connector."""
        self._put(f"{STATUS_TASK_PREFIX}{name}-{task}", status)

    def _put(self, key: str, status: Status) -> None:
        if status.state not in STATUS_STATES:
            raise ConnectException(f"Invalid status {status.state!r} for {key}: expected one of "
                                   f"{', '.join(STATUS_STATES)}")
        self.log.write([(key.encode(), status.to_json())])
        self.log.refresh()

    def remove(self, name: str, tasks: int = 0) -> None:
        """Forget the statuses of a deleted connector and its first `tasks` tasks (tombstones)."""
        keys = [STATUS_CONNECTOR_PREFIX + name, *(f"{STATUS_TASK_PREFIX}{name}-{n}" for n in range(tasks))]
        self.log.write([(key.encode(), None) for key in keys])
        self.log.refresh()

    def _apply(self, key: str, raw: bytes | None) -> None:
        if not key.startswith((STATUS_CONNECTOR_PREFIX, STATUS_TASK_PREFIX)):
            return  # status-topic-<topic>:connector-<name> (KIP-558 active topics): not read yet.
        try:
            status = None if raw is None else _status(json.loads(raw))
        except (ValueError, KeyError, TypeError) as exc:
            log.error("Ignoring the record %r of the status topic %r: its value cannot be read (%s)",
                      key, self.spec.name, exc)
            return
        if key.startswith(STATUS_CONNECTOR_PREFIX):
            name = key[len(STATUS_CONNECTOR_PREFIX):]
            if status is None or status.state == "DESTROYED":
                self.connectors.pop(name, None)
            else:
                self.connectors[name] = status
        elif key.startswith(STATUS_TASK_PREFIX):
            name, _, number = key[len(STATUS_TASK_PREFIX):].rpartition("-")
            if not name or not number.isdigit():
                log.error("Ignoring the record %r of the status topic %r: its key names no task", key, self.spec.name)
                return
            tasks = self.tasks.setdefault(name, {})
            if status is None or status.state == "DESTROYED":
                tasks.pop(int(number), None)
            else:
                tasks[int(number)] = status


def _status(value: Any) -> Status:
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    trace, version = value.get("trace"), value.get("version")
    return Status(str(value["state"]), str(value["worker_id"]), int(value["generation"]),
                  None if trace is None else str(trace), None if version is None else str(version))


# ------------------------------------------------------------------ offsets topic


class KafkaOffsetStore(TopicStore):
    """Source connectors' positions in Connect's offsets topic (see the module).

    Partitions and offsets are JSON objects (Connect's `Map<String, ?>`); the newest record of a key wins
    and a null value forgets the partition.
    """

    def __init__(self, worker: Mapping[str, str], spec: TopicSpec | None = None) -> None:
        self.spec = spec or InternalTopics.from_worker(worker).offsets
        self.log = TopicLog(client_config(worker, "admin"), self.spec, self._apply)
        self._offsets: dict[str, dict[str, tuple[dict[str, Any], dict[str, Any]]]] = {}

    def offsets(self, connector: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The connector's (partition, offset) pairs, as stored now."""
        self.log.refresh()
        return [pair for _, pair in sorted(self._offsets.get(connector, {}).items())]

    def write(self, connector: str, offsets: Iterable[tuple[Mapping[str, Any], Mapping[str, Any] | None]]) -> None:
        """Store (partition, offset) pairs of a connector; an offset None forgets its partition."""
        records: list[tuple[bytes, bytes | None]] = []
        for partition, offset in offsets:
            if not isinstance(partition, Mapping) or not (offset is None or isinstance(offset, Mapping)):
                raise ConnectException(f"Invalid source offset of connector {connector!r}: the partition and "
                                       "the offset must be maps (the offset may be null)")
            records.append(offset_record(connector, partition, offset))
        if records:
            self.log.write(records)
            self.log.refresh()

    def _apply(self, key: str, raw: bytes | None) -> None:
        try:
            decoded = json.loads(key)
            if (not isinstance(decoded, list) or len(decoded) != 2 or not isinstance(decoded[0], str)
                    or not isinstance(decoded[1], dict)):
                raise ValueError("the key is not [\"<connector>\", {partition}]")
            offset = None if raw is None else json.loads(raw)
            if offset is not None and not isinstance(offset, dict):
                raise ValueError("the offset is not a JSON object")
        except ValueError as exc:
            log.error("Ignoring the record %r of the offsets topic %r: %s", key, self.spec.name, exc)
            return
        connector, partition = decoded
        identity = json.dumps(partition, sort_keys=True)
        stored = self._offsets.setdefault(connector, {})
        if offset is None:
            stored.pop(identity, None)
        else:
            stored[identity] = (partition, offset)
