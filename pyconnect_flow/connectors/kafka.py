"""Kafka as a source (topic-partitions → records) and as a sink (records → topics).

`KafkaSource` gives one source partition per topic-partition; its position is
the next offset, kept in Bytewax recovery snapshots. It also commits that
position to the consumer group `connect-<connector name>` once the sink has
made everything before it durable (`SourceReader.delivered`), as Kafka
Connect's sink tasks do, so lag tools see progress and a restart without a
recovery store loses nothing; with no stored position it starts from the
group's committed offset, else from `auto.offset.reset` (earliest, as Kafka
Connect sets for sink tasks).

`KafkaSink` produces with librdkafka's own batching: it never flushes per
batch. Deliveries are made durable at each epoch boundary (`flush`) and at
close; a failed delivery stops the flow with an error, never a silent drop.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, cast

from pyconnect_flow.batches import ValueBatch
from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType
from pyconnect_flow.connectors.kafka_clients import (
    DEFAULT_TIMEOUT_S,
    KafkaUnavailable,
    client_config,
    describe,
    ensure_topics,
    list_topics,
    with_read_ahead,
)
from pyconnect_flow.connectors.kafka_reachability import BrokerWatch
from pyconnect_flow.contract.connector import Connector
from pyconnect_flow.contract.sink import RecordSink, SinkBatch, SinkWriter, encoded_items
from pyconnect_flow.contract.source import EndOfInput, RecordSource, SourceReader
from pyconnect_flow.converters.headers import header_value_to_bytes
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter, Stage
from pyconnect_flow.kafka_columns import KafkaColumns
from pyconnect_flow.record import Record, SchemaHeader, new_record

log = logging.getLogger(__name__)

#: How often a source whose topics do not exist yet looks for them again, and logs that it still waits.
TOPIC_POLL_SECONDS = 1.0
TOPIC_WAIT_LOG_SECONDS = 60.0

_IDLE_WAIT = dt.timedelta(milliseconds=20)


class KafkaConsumeError(ConnectException):
    """The consumer reported an error that is not retriable."""


class KafkaProduceError(ConnectException):
    """The producer or the broker refused a record (too large, invalid topic, authorization, ...)."""


def partition_key(topic: str, partition: int) -> str:
    """The source partition key of a topic-partition (stable: part of the recovery contract)."""
    return f"{topic}-{partition}"


class KafkaReader(SourceReader):
    """Reads one topic-partition with its own consumer, from an offset."""

    def __init__(self, conf: Mapping[str, Any], topic: str, partition: int, position: int | None,
                 batch_size: int, stop_at_end: bool, commit: bool, unreachable_timeout_s: float | None = None,
                 columnar: bool = False) -> None:
        from confluent_kafka import OFFSET_END, Consumer, TopicPartition

        self.topic, self.partition = topic, partition
        self._watch = BrokerWatch(unreachable_timeout_s)
        self.batch_size = batch_size
        self.stop_at_end = stop_at_end
        self._commit = commit
        self.columnar = columnar  # hand over `KafkaColumns` instead of records when no message has an error
        self._tp = TopicPartition
        conf = dict(conf)
        conf.update({"enable.auto.commit": False, "enable.auto.offset.store": False,
                     "enable.partition.eof": stop_at_end})
        conf = self._watch.configure(with_read_ahead(conf))
        reset = str(conf.get("auto.offset.reset", "earliest")).lower()
        conf["auto.offset.reset"] = "latest" if reset == "latest" else "earliest"
        self._consumer = Consumer(conf)
        self._conf_bootstrap = {"bootstrap.servers": conf.get("bootstrap.servers")}
        start = position
        if start is None:
            committed = self._consumer.committed([TopicPartition(topic, partition)], timeout=DEFAULT_TIMEOUT_S)
            if committed and committed[0].offset >= 0:
                start = committed[0].offset
        if start is None:
            # An explicit 0 rather than OFFSET_BEGINNING: some brokers (noida-db) answer concurrent
            # "earliest" ListOffsets requests with the latest offset. A truncated log still starts at
            # its first offset through auto.offset.reset=earliest.
            start = OFFSET_END if reset == "latest" else 0
        self._consumer.assign([TopicPartition(topic, partition, start)])
        self._next: int | None = start if start >= 0 else None
        self._delivered: int | None = None
        self._at_eof = False
        self._idle = False

    def read(self) -> list[Record] | KafkaColumns:
        # The end (stop-at-end) is the partition-EOF event, i.e. the fetch high watermark:
        # some brokers (Tansu) answer ListOffsets with a stale end offset.
        messages = self._consumer.consume(self.batch_size, 0)
        if not messages:
            if self._at_eof:
                raise EndOfInput()
            if self._watch.expired():
                raise KafkaConsumeError(
                    f"Kafka at {describe(self._conf_bootstrap)} unreachable for {self._watch.unreachable_for():.0f} s "
                    f"(no broker connection) while reading {self.topic!r} partition {self.partition}; the connector "
                    f"stops (kafka.unreachable.timeout.ms={(self._watch.timeout_s or 0) * 1000:.0f})")
            self._idle = True
            return []
        self._idle = False
        topic, partition = self.topic, self.partition
        from confluent_kafka import Message  # loaded with the consumer: a lookup

        if not any(map(Message.error, messages)):  # an error event is truthy, None not
            if self.columnar:
                self._next = (messages[-1].offset() or 0) + 1
                self._at_eof = False
                # C-level maps of the message methods: no Python frame per message and field.
                read: list[int | None] = list(map(Message.offset, messages))
                offsets = cast("list[int]", read if None not in read else [o or 0 for o in read])
                return KafkaColumns(topic, partition, offsets, list(map(Message.key, messages)),
                                    list(map(Message.value, messages)),
                                    [ts if kind else None for kind, ts in map(Message.timestamp, messages)],
                                    list(map(Message.headers, messages)))
            fast = [new_record((topic, m.key(), m.value(), partition, m.offset(), None, None,
                                tuple(m.headers() or ()), _timestamp(m), None, None)) for m in messages]
            self._next = (messages[-1].offset() or 0) + 1
            self._at_eof = False
            return fast
        records: list[Record] = []
        append = records.append
        next_offset = self._next or 0
        for m in messages:
            err = m.error()
            if err is not None:
                if err.code() == _PARTITION_EOF():
                    self._at_eof = (m.offset() or 0) >= next_offset
                    continue
                if err.retriable():
                    log.warning("Kafka consumer error on %s-%s (retrying): %s", self.topic, self.partition, err.str())
                    continue
                raise KafkaConsumeError(
                    f"Error consuming from Kafka topic {self.topic!r} partition {self.partition}: {err.str()}")
            ts_type, ts = m.timestamp()
            offset = m.offset() or 0
            append(Record(topic, m.key(), m.value(), partition, offset, None, None,
                          _headers(m), ts if ts_type else None))
            next_offset = offset + 1
        if records:
            self._next = next_offset
            if self._at_eof and messages[-1].error() is None:
                self._at_eof = False
        return records

    def position(self) -> int | None:
        return self._next

    def lag(self) -> int | None:
        """The partition's high watermark (as the last fetch reported it) minus the next offset to read."""
        if self._next is None:
            return None
        try:
            _, high = self._consumer.get_watermark_offsets(self._tp(self.topic, self.partition), cached=True)
        except Exception:  # noqa: BLE001 - a metric: unknown rather than a failure
            return None
        return max(0, high - self._next) if high is not None and high >= 0 else None

    def delivered(self, position: Any) -> None:
        # Only positions whose records are durable in the sink come here (never the read-ahead one).
        if not self._commit or not isinstance(position, int) or position < 0 or position == self._delivered:
            return
        self._delivered = position
        try:
            self._consumer.commit(offsets=[self._tp(self.topic, self.partition, position)], asynchronous=True)
        except Exception as exc:  # noqa: BLE001 - the group offset is published again at the next epoch
            log.debug("Offset commit failed: %s", exc)

    def wake_at(self) -> dt.datetime | None:
        return dt.datetime.now(dt.timezone.utc) + _IDLE_WAIT if self._idle else None

    def close(self) -> None:
        # The last delivered position once more, synchronously, so it reaches the group before we leave;
        # never the position read up to (records after it may not be durable, or may have failed).
        # Not while no broker is reachable: a synchronous commit would wait for a coordinator for ~45 s.
        if self._commit and self._delivered is not None and not self._watch.unreachable_for():
            try:
                self._consumer.commit(offsets=[self._tp(self.topic, self.partition, self._delivered)],
                                      asynchronous=False)
            except Exception as exc:  # noqa: BLE001 - close must not raise
                log.debug("Final offset commit failed: %s", exc)
        self._consumer.close()


def _headers(message: Any) -> tuple[tuple[str, Any], ...]:
    return tuple(message.headers() or ())


def _timestamp(message: Any) -> int | None:
    ts_type, ts = message.timestamp()
    return ts if ts_type else None


def _PARTITION_EOF() -> int:  # noqa: N802 - mirrors the librdkafka constant
    from confluent_kafka import KafkaError

    return KafkaError._PARTITION_EOF


class KafkaSource(RecordSource):
    """Raw records of Kafka topics (`topics` or a `topics_regex`): one partition per topic-partition."""

    raw = True

    def __init__(self, conf: Mapping[str, Any], *, topics: list[str] | None = None, topics_regex: str | None = None,
                 group_id: str | None = None, batch_size: int = 2000, stop_at_end: bool = False,
                 commit_offsets: bool = True, should_stop: Callable[[], bool] = lambda: False,
                 unreachable_timeout_s: float | None = None, columnar: bool = False) -> None:
        self.conf = dict(conf)
        self.unreachable_timeout_s = unreachable_timeout_s  # fail a reader without a broker for this long
        self.columnar = columnar  # readers hand over `KafkaColumns` (see `kafka_columns`)
        self.should_stop = should_stop  # asked while waiting for topics that do not exist yet
        if group_id:
            self.conf["group.id"] = group_id
        self.conf.setdefault("group.id", "pyconnect-flow")
        self.topics = list(topics or [])
        self.topics_regex = topics_regex
        self.batch_size = batch_size
        self.stop_at_end = stop_at_end
        self.commit_offsets = commit_offsets
        self._parts: list[str] | None = None
        self._lock = threading.Lock()

    def _topic_partitions(self, wait: bool) -> dict[str, int]:
        """Topic → partition count of what this source reads. With `wait`, a topic that does not exist
        yet is waited for, as a Kafka Connect sink task waits for its topics (a log line a minute);
        otherwise (`--stop-at-end` runs, which have an end to reach) it is an error."""
        logged = 0.0
        while True:
            existing = list_topics(self.conf)
            if self.topics_regex:
                pattern = re.compile(self.topics_regex)
                return {t: n for t, n in existing.items() if pattern.fullmatch(t) and not t.startswith("__")}
            missing = [t for t in self.topics if t not in existing]
            if not missing:
                return {t: existing[t] for t in self.topics}
            problem = f"Topic(s) {', '.join(missing)} do not exist on {describe(self.conf)}"
            if not wait:
                raise ConnectException(problem)
            if time.monotonic() - logged >= TOPIC_WAIT_LOG_SECONDS:
                log.warning("%s: waiting for them to be created", problem)
                logged = time.monotonic()
            if self.should_stop():
                return {}  # nothing to read: the stopping pipeline ends at once
            time.sleep(TOPIC_POLL_SECONDS)

    def preflight(self) -> None:
        """Fails at once on an unreachable broker and, in `--stop-at-end` runs, on a missing topic."""
        if self.stop_at_end:
            self._topic_partitions(wait=False)
        else:
            list_topics(self.conf)

    def partitions(self) -> list[str]:
        with self._lock:
            if self._parts is None:
                self._parts = sorted(partition_key(t, p) for t, n in self._topic_partitions(not self.stop_at_end).items()
                                     for p in range(n))
            return list(self._parts)

    def open(self, partition: str, position: Any | None) -> KafkaReader:
        topic, _, number = partition.rpartition("-")
        return KafkaReader(self.conf, topic, int(number), position, self.batch_size, self.stop_at_end,
                           self.commit_offsets, self.unreachable_timeout_s, self.columnar)


# sink ---------------------------------------------------------------------

def _header_bytes(header: tuple[str, Any]) -> bytes | None:
    """SimpleHeaderConverter's bytes for a header's value, with its schema if it has one (`SchemaHeader`)."""
    value = header[1]
    if value is None or isinstance(value, bytes):
        return value
    return header_value_to_bytes(value, header.schema if type(header) is SchemaHeader else None)


class _SharedProducer:
    """One librdkafka producer per process, connector and config, shared by that connector's sink
    partitions; counts its users and is released when the last one closes. Collects delivery failures."""

    _lock = threading.Lock()
    _producers: dict[tuple[Any, ...], _SharedProducer] = {}

    def __init__(self, key: tuple[Any, ...], conf: Mapping[str, Any], connector: str) -> None:
        from confluent_kafka import Producer

        self.key = key
        self.connector = connector
        self.failures: list[str] = []
        self._refused: list[tuple[Any, Any]] = []  # (error, message) from delivery reports, not yet handled
        self.errors: ErrorReporter | None = None
        self.dead_letters: Any = None
        self.users = 0
        conf = dict(conf)
        conf.setdefault("partitioner", "murmur2_random")  # the Java client's default partitioner
        conf.setdefault("linger.ms", 5)
        conf.setdefault("batch.num.messages", 10000)
        conf.setdefault("queue.buffering.max.messages", 100000)
        conf.setdefault("queue.buffering.max.kbytes", 32768)  # bounds memory: the producer waits instead
        conf["delivery.report.only.error"] = True
        conf["on_delivery"] = self._on_delivery
        self.timeout_s = float(conf.get("message.timeout.ms", 300000)) / 1000 + 5
        self.conf = conf
        self.producer = Producer(conf)
        self.known_topics: set[str] = set()

    def _on_delivery(self, err: Any, msg: Any) -> None:
        # Runs inside poll/flush: only note the failure; `check` applies errors.tolerance afterwards
        # (producing a dead letter from inside a delivery callback would re-enter the producer).
        if err is not None:
            self._refused.append((err, msg))

    @classmethod
    def acquire(cls, conf: Mapping[str, Any], connector: str, errors: ErrorReporter | None = None,
                dead_letters: Any = None) -> _SharedProducer:
        """The connector's producer for `conf`; `errors` and `dead_letters` (given by the connector's own
        sink, not by its dead letter queue) decide what a refused record does."""
        key = (connector, tuple(sorted((k, repr(v)) for k, v in conf.items() if k != "logger")))
        with cls._lock:
            shared = cls._producers.get(key)
            if shared is None or shared.failures:
                shared = cls._producers[key] = cls(key, conf, connector)
            if errors is not None:
                shared.errors = errors
            if dead_letters is not None:
                shared.dead_letters = dead_letters
            shared.users += 1
            return shared

    def release(self) -> None:
        """One user is done; the last one flushes briefly and drops the producer (closing its connections)."""
        with self._lock:
            self.users -= 1
            if self.users > 0:
                return
            if self._producers.get(self.key) is self:
                del self._producers[self.key]
        self.producer.flush(1.0)
        self.producer.purge()

    def _handle_refused(self) -> bool:
        """Apply errors.tolerance to records the broker refused; True when dead letters were queued."""
        queued = False
        while self._refused:
            err, msg = self._refused.pop(0)
            where = f"delivery to topic {msg.topic()!r} partition {msg.partition()} failed: {err.str()}"
            dead_letters, errors = self.dead_letters, self.errors
            if errors is None or not errors.policy.tolerate_all:
                self.failures.append(where)
                continue
            if msg.topic() == errors.policy.dlq_topic:
                # As Kafka Connect's DeadLetterQueueReporter: logged, never retried into the DLQ again.
                log.error("Connector '%s': could not write a dead letter record to %r: %s", self.connector,
                          msg.topic(), err.str())
                continue
            record = Record(msg.topic(), msg.key(), msg.value(), msg.partition(), msg.offset(), None, None,
                            tuple(msg.headers() or ()), _timestamp(msg))
            failed = errors.failed(Stage.KAFKA_PRODUCE, record, KafkaProduceError(where), "KafkaProducer")
            if failed is not None and dead_letters is not None:
                dead_letters.send(failed)
                queued = True
        return queued

    def check(self) -> bool:
        """Raise for deliveries that failed (errors.tolerance=none); True when dead letters were queued."""
        queued = self._handle_refused() if self._refused else False
        if self.failures:
            first = self.failures[0]
            more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
            raise ConnectException(f"Connector '{self.connector}': Kafka {first}{more}")
        return queued

    def flush(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            remaining = self.producer.flush(1.0)
            queued = self.check()
            if remaining == 0 and not queued:
                return
            if time.monotonic() > deadline:
                raise ConnectException(
                    f"Connector '{self.connector}': {remaining} message(s) not delivered to {describe(self.conf)} "
                    f"within {self.timeout_s:.0f}s")


class KafkaWriter(SinkWriter):
    """Produces encoded records; durable at `flush`."""

    def __init__(self, shared: _SharedProducer, topic: str | None, keep_partition: bool, create_topics: bool,
                 errors: ErrorReporter, dead_letters: Any = None) -> None:
        self._shared = shared
        self._topic = topic
        self._keep_partition = keep_partition
        self._create_topics = create_topics
        self._errors = errors
        self._dead_letters = dead_letters

    def _refused(self, record: Record, key: Any, value: Any, exc: BaseException) -> None:
        """The producer refused a record at once (too large, ...): errors.tolerance, and the DLQ with the
        bytes that were to be written."""
        original = record.replace(key=key, value=value)
        failed = self._errors.failed(Stage.KAFKA_PRODUCE, record, exc, "KafkaProducer", original=original)
        if failed is not None and self._dead_letters is not None:
            self._dead_letters.send(failed)

    def _ensure(self, topic: str) -> None:
        ensure_topics(self._shared.conf, [topic], create=self._create_topics)
        self._shared.known_topics.add(topic)

    def write(self, records: SinkBatch) -> None:
        batch, encoded = records.batch, records.encoded
        if batch is not None and encoded is not None and encoded[0] is None:
            self._write_values(batch, encoded[1])
            return
        shared = self._shared
        produce = shared.producer.produce
        known = shared.known_topics
        fixed_topic = self._topic
        keep_partition = self._keep_partition
        for r, key, value in encoded_items(records):
            topic = fixed_topic or r[0]
            if topic not in known:
                self._ensure(topic)
            partition, headers, timestamp = r[3], r[7], r[8]
            try:
                if headers or timestamp or (keep_partition and partition is not None):
                    produce(topic, value, key, partition if keep_partition and partition is not None else -1,
                            timestamp=timestamp or 0,
                            headers=[(h[0], _header_bytes(h)) for h in headers] if headers else None)
                else:
                    produce(topic, value, key)
            except BufferError:
                self._produce_when_room(topic, r, key, value)
            except Exception as exc:
                self._refused(r, key, value, exc)
        shared.producer.poll(0)
        shared.check()

    def _write_values(self, batch: ValueBatch, values: list[bytes | None]) -> None:
        """Produce a batch of values with null keys to one topic: the file source's common case."""
        shared = self._shared
        produce = shared.producer.produce
        topic = self._topic or batch.topic
        if topic not in shared.known_topics:
            self._ensure(topic)
        i, n = 0, len(values)
        while i < n:
            try:
                for i in range(i, n):  # noqa: B020 - resumes after a record that needed handling
                    produce(topic, values[i])
                i = n
            except BufferError:
                self._produce_when_room(topic, batch.record(i), None, values[i])
                i += 1
            except Exception as exc:
                self._refused(batch.record(i), None, values[i], exc)
                i += 1
        shared.check()  # delivery reports are served when the queue fills and at flush

    def _produce_when_room(self, topic: str, r: Record, key: Any, value: Any) -> None:
        """librdkafka's queue is full: serve delivery reports until the record fits."""
        producer = self._shared.producer
        keep = self._keep_partition and r.partition is not None
        while True:
            producer.poll(0.05)
            self._shared.check()
            try:
                producer.produce(topic, value, key, r.partition if keep and r.partition is not None else -1,
                                 timestamp=r.timestamp or 0,
                                 headers=[(h[0], _header_bytes(h)) for h in r.headers] if r.headers else None)
                return
            except BufferError:
                continue
            except Exception as exc:
                self._refused(r, key, value, exc)
                return

    def flush(self) -> None:
        self._shared.flush()
        if self._dead_letters is not None:
            self._dead_letters.flush()
        return None

    def close(self) -> None:
        self._shared.release()


class KafkaSink(RecordSink):
    """Writes encoded records to Kafka: to `topic`, or to each record's own topic when None.

    A record's `partition`, when set, is the partition written to (`keep_partition`), as for
    Kafka Connect's source records; otherwise the producer's partitioner (murmur2 of the key,
    like the Java client's) chooses.
    """

    raw = True
    reports_late = False  # produce failures go to the error reporter, never to ConnectorContext.report

    def __init__(self, conf: Mapping[str, Any], *, topic: str | None = None, keep_partition: bool = True,
                 create_topics: bool = True, connector: str = "kafka-sink",
                 errors: ErrorReporter | None = None, preflight_topics: list[str] | None = None,
                 dead_letters: Any = None) -> None:
        self.conf = dict(conf)
        self.dead_letters = dead_letters
        """`dead_letters.DeadLetterQueue` for records the producer or broker refuses (errors.tolerance=all)."""
        self.topic = topic
        self.keep_partition = keep_partition
        self.create_topics = create_topics
        self.connector = connector
        self.errors = errors or ErrorReporter(connector, ErrorPolicy())
        self._policy_given = errors is not None
        self.preflight_topics = preflight_topics if preflight_topics is not None else ([topic] if topic else [])

    def preflight(self) -> None:
        if self.preflight_topics:
            ensure_topics(self.conf, self.preflight_topics, create=self.create_topics)
        else:
            list_topics(self.conf)

    def open(self, partition: str, state: Any | None) -> KafkaWriter:
        shared = _SharedProducer.acquire(self.conf, self.connector, self.errors if self._policy_given else None,
                                         self.dead_letters)
        return KafkaWriter(shared, self.topic, self.keep_partition, self.create_topics, self.errors,
                           self.dead_letters)


# connector ------------------------------------------------------------------

class KafkaSinkConnector(Connector):
    """Kafka → Kafka: records of `topics` (decoded, transformed, re-encoded) into `target.topic`.

    The partition a record was consumed from is not a choice of where to write it, so the
    producer's partitioner decides unless `target.partition.preserve=true` (mirroring).

    The target cluster is the worker's unless `target.bootstrap.servers` names
    another one; `producer.override.*` keys tune the producer.
    """

    KIND = "sink"
    CLASS_NAMES = ("pyconnect_flow.connectors.kafka.KafkaSinkConnector",)
    CONFIG = ConfigDef([
        ConfigKey("target.topic", ConfigType.STRING, None,
                  "Topic to write to; default: each record's topic (after transforms such as RegexRouter)."),
        ConfigKey("target.bootstrap.servers", ConfigType.STRING, None,
                  "Bootstrap servers of the target cluster; default: the worker's bootstrap.servers."),
        ConfigKey("target.partition.preserve", ConfigType.BOOLEAN, False,
                  "Write each record to the partition number it came from (the target topic needs as many "
                  "partitions); default: the producer's partitioner (murmur2 of the key, like Java's)."),
    ])

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
        target = values.get("target.topic")
        topics = raw.get("topics", "")
        if target and target in [t.strip() for t in str(topics).split(",")] and not values.get("target.bootstrap.servers"):
            return [ConfigIssue("target.topic", "must differ from the input topics on the same cluster")]
        return []

    def sink(self) -> KafkaSink:
        c = self.ctx.config
        conf = client_config(self.ctx.worker, "producer", c.with_prefix("producer.override."),
                             bootstrap_servers=c.get("target.bootstrap.servers"))
        return KafkaSink(conf, topic=c.get("target.topic"), keep_partition=c["target.partition.preserve"],
                         create_topics=_topic_creation(self.ctx.worker), connector=self.ctx.name,
                         errors=self.ctx.reporter, dead_letters=self.ctx.dead_letters)


def _topic_creation(worker: Mapping[str, str]) -> bool:
    return str(worker.get("topic.creation.enable", "true")).strip().lower() == "true"


CONNECTORS: list[type[Connector]] = [KafkaSinkConnector]

__all__ = ["CONNECTORS", "KafkaSink", "KafkaSinkConnector", "KafkaSource", "KafkaUnavailable", "partition_key"]
