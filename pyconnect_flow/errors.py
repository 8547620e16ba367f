"""Error handling as Kafka Connect does it: `errors.tolerance`, logging, dead letter queue.

Every stage (decode, transform, encode, sink write) hands a failed record to an
`ErrorReporter`. With `errors.tolerance=none` the reporter raises a
`ConnectorTaskError` naming the connector, stage and record coordinates; with
`all` it logs (when asked) and returns a `FailedRecord`, which the dataflow
routes to the dead letter queue topic when one is configured. Retries
(`errors.retry.*`) are `contract.retry.RetryPolicy.kafka_connect`, run by the stages.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType, at_least, one_of, setting, settings_from
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.record import Record

log = logging.getLogger("pyconnect_flow.errors")


class Stage(str, Enum):
    """Where a record failed, named as Kafka Connect's `Stage` (used in DLQ headers)."""

    KEY_CONVERTER = "KEY_CONVERTER"
    VALUE_CONVERTER = "VALUE_CONVERTER"
    HEADER_CONVERTER = "HEADER_CONVERTER"
    TRANSFORMATION = "TRANSFORMATION"
    TASK_PUT = "TASK_PUT"
    TASK_POLL = "TASK_POLL"
    KAFKA_PRODUCE = "KAFKA_PRODUCE"
    KAFKA_CONSUME = "KAFKA_CONSUME"


class StageError(Exception):
    """A record failed in one stage: `stage` says where (Kafka Connect's `Stage`), `plugin` is the converter or
    transform that raised (for `__connect.errors.class.name`) and `cause` the exception it raised.

    The stages raise it around each record's work and unwrap it when they report: users see `cause`
    (its class and message in errors, logs and DLQ headers), never this wrapper; its message is `cause`'s.
    """

    def __init__(self, stage: Stage, plugin: object, cause: Exception) -> None:
        super().__init__(str(cause))
        self.stage, self.plugin, self.cause = stage, plugin, cause

    def __reduce__(self) -> tuple[Any, ...]:
        return (StageError, (self.stage, self.plugin, self.cause))


def _text(value: Any) -> str:
    return str(value or "")


ERRORS_CONFIG = ConfigDef([
    ConfigKey("errors.retry.timeout", ConfigType.LONG, 0,
              "Maximum ms a failed operation is retried; 0 = no retry, -1 = forever."),
    ConfigKey("errors.retry.delay.max.ms", ConfigType.LONG, 60000, "Maximum ms between consecutive retries.",
              validator=at_least(1)),
    ConfigKey("errors.tolerance", ConfigType.STRING, "none",
              "none: any error stops the connector; all: skip problematic records.", validator=one_of("none", "all")),
    ConfigKey("errors.log.enable", ConfigType.BOOLEAN, False, "Log every error and the failed record's coordinates."),
    ConfigKey("errors.log.include.messages", ConfigType.BOOLEAN, False,
              "Also log the failed record's key, value and headers."),
    ConfigKey("errors.deadletterqueue.topic.name", ConfigType.STRING, "",
              "Topic that receives records that failed (empty: no dead letter queue)."),
    ConfigKey("errors.deadletterqueue.topic.replication.factor", ConfigType.SHORT, 3,
              "Replication factor of the dead letter queue topic when it is created."),
    ConfigKey("errors.deadletterqueue.context.headers.enable", ConfigType.BOOLEAN, False,
              "Add __connect.errors.* headers describing the failure to dead letter records."),
])
"""The `errors.*` keys of every connector."""


@dataclass(frozen=True, kw_only=True)
class ErrorPolicy:
    """The `errors.*` settings of one connector, derived from `ERRORS_CONFIG`."""

    retry_timeout_ms: int = setting(ERRORS_CONFIG, "errors.retry.timeout")
    retry_delay_max_ms: int = setting(ERRORS_CONFIG, "errors.retry.delay.max.ms")
    tolerance: str = setting(ERRORS_CONFIG, "errors.tolerance", str.lower)
    log_enable: bool = setting(ERRORS_CONFIG, "errors.log.enable")
    log_include_messages: bool = setting(ERRORS_CONFIG, "errors.log.include.messages")
    dlq_topic: str = setting(ERRORS_CONFIG, "errors.deadletterqueue.topic.name", _text)
    dlq_replication_factor: int = setting(ERRORS_CONFIG, "errors.deadletterqueue.topic.replication.factor")
    dlq_context_headers: bool = setting(ERRORS_CONFIG, "errors.deadletterqueue.context.headers.enable")

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> ErrorPolicy:
        """From typed values of `ERRORS_CONFIG` keys (missing keys take the defaults)."""
        return settings_from(cls, values)

    @property
    def tolerate_all(self) -> bool:
        return self.tolerance == "all"


class ConnectorTaskError(ConnectException):
    """A record failed and `errors.tolerance=none`: the connector stops with this error."""

    def __init__(self, connector: str, stage: Stage, record: Record | None, cause: BaseException,
                 class_name: str = "") -> None:
        self.connector = connector
        self.stage = stage
        self.record = record
        where = record.coordinates() if record is not None else "no record"
        what = f" in {class_name}" if class_name else ""
        super().__init__(
            f"Connector '{connector}' failed at stage {stage.value}{what} on record {where}: "
            f"{type(cause).__name__}: {cause}"
        )


@dataclass(frozen=True)
class FailedRecord:
    """A record that failed and was tolerated, with what is needed for its DLQ headers.

    `original` is the record as it arrived (raw bytes for sink connectors).
    """

    original: Record
    stage: Stage
    class_name: str
    exception: BaseException
    connector: str
    task_id: int = 0

    def stacktrace(self) -> str:
        return "".join(traceback.format_exception(type(self.exception), self.exception,
                                                  self.exception.__traceback__))


class RetriableError(ConnectException):
    """An operation failed in a way that may succeed when tried again (Kafka's RetriableException)."""


class ErrorReporter:
    """Applies one connector's `ErrorPolicy` to failures."""

    def __init__(self, connector: str, policy: ErrorPolicy, task_id: int = 0) -> None:
        self.connector = connector
        self.policy = policy
        self.task_id = task_id
        self.observer: Callable[[bool], None] | None = None
        """Told of every failure handled (True: tolerated), for the task's error metrics."""

    def failed(self, stage: Stage, record: Record, exc: BaseException, class_name: str = "",
               original: Record | None = None) -> FailedRecord | None:
        """Handle one failed record: raise (tolerance none) or log and return it for the DLQ."""
        if self.observer is not None:
            self.observer(self.policy.tolerate_all)
        if not self.policy.tolerate_all:
            raise ConnectorTaskError(self.connector, stage, record, exc, class_name) from exc
        if self.policy.log_enable:
            msg = (f"Error encountered in task {self.connector}-{self.task_id}. Executing stage "
                   f"'{stage.value}' with class '{class_name}', where the record is {record.coordinates()}")
            if self.policy.log_include_messages:
                msg += f", key={record.key!r}, value={record.value!r}, headers={tuple(record.headers)!r}"
            log.error("%s: %s: %s", msg, type(exc).__name__, exc)
        if not self.policy.dlq_topic:
            return None
        return FailedRecord(original or record, stage, class_name, exc, self.connector, self.task_id)
