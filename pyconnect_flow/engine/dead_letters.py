"""Dead letter queue records: the failed record's bytes plus Kafka Connect's `__connect.errors.*` headers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from pyconnect_flow.connectors.kafka import KafkaSink
from pyconnect_flow.contract.sink import SinkBatch, SinkWriter
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter, FailedRecord
from pyconnect_flow.record import Record

ERROR_HEADER_PREFIX = "__connect.errors."
ERROR_HEADER_ORIG_TOPIC = ERROR_HEADER_PREFIX + "topic"
ERROR_HEADER_ORIG_PARTITION = ERROR_HEADER_PREFIX + "partition"
ERROR_HEADER_ORIG_OFFSET = ERROR_HEADER_PREFIX + "offset"
ERROR_HEADER_CONNECTOR_NAME = ERROR_HEADER_PREFIX + "connector.name"
ERROR_HEADER_TASK_ID = ERROR_HEADER_PREFIX + "task.id"
ERROR_HEADER_STAGE = ERROR_HEADER_PREFIX + "stage"
ERROR_HEADER_EXECUTING_CLASS = ERROR_HEADER_PREFIX + "class.name"
ERROR_HEADER_EXCEPTION = ERROR_HEADER_PREFIX + "exception.class.name"
ERROR_HEADER_EXCEPTION_MESSAGE = ERROR_HEADER_PREFIX + "exception.message"
ERROR_HEADER_EXCEPTION_STACK_TRACE = ERROR_HEADER_PREFIX + "exception.stacktrace"

Encoder = Callable[[Record], Record]
"""Turns a record holding Connect data into one holding bytes (for failures before encoding)."""


MAX_MESSAGE_BYTES = 1_000_000_000
"""librdkafka's largest `message.max.bytes`: dead letter producers never refuse a record for its size."""


def dead_letter_producer_config(conf: Mapping[str, Any]) -> dict[str, Any]:
    """The producer settings for a dead letter queue: the connector's, without a client-side size limit.

    A record the connector's producer refused as too large must still reach the DLQ with its original
    bytes; whether it fits is the broker's (and the DLQ topic's `max.message.bytes`) to say."""
    return {**conf, "message.max.bytes": MAX_MESSAGE_BYTES}


def _b(text: object) -> bytes:
    return str(text).encode("utf-8")


def exception_class_name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def dead_letter_record(failed: FailedRecord, policy: ErrorPolicy, encode: Encoder | None = None) -> Record:
    """The record Kafka Connect's DeadLetterQueueReporter would produce for `failed`."""
    original = failed.original
    if not _is_raw(original) and encode is not None:
        try:
            original = encode(original)
        except Exception:
            original = original.replace(key=_fallback_bytes(original.key), value=_fallback_bytes(original.value))
    elif not _is_raw(original):
        original = original.replace(key=_fallback_bytes(original.key), value=_fallback_bytes(original.value))
    headers = list(original.headers)
    if policy.dlq_context_headers:
        exc = failed.exception
        headers += [
            (ERROR_HEADER_ORIG_TOPIC, _b(original.topic)),
            (ERROR_HEADER_ORIG_PARTITION, _b(original.partition if original.partition is not None else -1)),
            (ERROR_HEADER_ORIG_OFFSET, _b(original.offset if original.offset is not None else -1)),
            (ERROR_HEADER_CONNECTOR_NAME, _b(failed.connector)),
            (ERROR_HEADER_TASK_ID, _b(failed.task_id)),
            (ERROR_HEADER_STAGE, _b(failed.stage.value)),
            (ERROR_HEADER_EXECUTING_CLASS, _b(failed.class_name)),
            (ERROR_HEADER_EXCEPTION, _b(exception_class_name(exc))),
            (ERROR_HEADER_EXCEPTION_MESSAGE, _b(str(exc))),
            (ERROR_HEADER_EXCEPTION_STACK_TRACE, _b(failed.stacktrace())),
        ]
    return Record(policy.dlq_topic, original.key, original.value, None, None, None, None, tuple(headers), original.timestamp)


def _is_raw(record: Record) -> bool:
    return (record.key is None or isinstance(record.key, bytes)) and (
        record.value is None or isinstance(record.value, bytes))


def _fallback_bytes(value: object) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return _b(value)


class DeadLetterQueue:
    """Sends dead letter records of one connector to its DLQ topic; `flush` makes them durable.

    Used for failures inside sinks (stage TASK_PUT), where Kafka Connect's
    ErrantRecordReporter applies; the sink's own `flush` flushes it, so dead
    letters are durable before the epoch's positions are stored.
    """

    def __init__(self, producer_conf: Mapping[str, Any], policy: ErrorPolicy, connector: str,
                 encode: Encoder | None = None, create_topics: bool = True) -> None:
        self.producer_conf = dead_letter_producer_config(producer_conf)
        self.policy = policy
        self.connector = connector
        self.encode = encode
        self.create_topics = create_topics
        self._lock = threading.Lock()
        self._writer: SinkWriter | None = None

    def _get_writer(self) -> SinkWriter:
        with self._lock:
            if self._writer is None:
                # With the connector's policy, a dead letter the broker refuses is logged (tolerance all),
                # as Kafka Connect's DeadLetterQueueReporter does, or stops the connector (none).
                sink = KafkaSink(self.producer_conf, topic=self.policy.dlq_topic, keep_partition=False,
                                 create_topics=self.create_topics, connector=self.connector,
                                 errors=ErrorReporter(self.connector, self.policy))
                self._writer = sink.open("dead-letters", None)
            return self._writer

    def send(self, failed: FailedRecord) -> None:
        """Queue one dead letter record (asynchronously)."""
        self._get_writer().write(SinkBatch([dead_letter_record(failed, self.policy, self.encode)]))

    def flush(self) -> None:
        """Wait until every queued dead letter is acknowledged."""
        if self._writer is not None:
            self._writer.flush()
