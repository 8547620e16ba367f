"""`Connector`: a configured job definition that provides a source or a sink.

As in Kafka Connect, a *source connector* reads an outside system and its
records go to Kafka; a *sink connector* reads Kafka and writes an outside
system. A connector class declares its keys once (`CONFIG`), the Kafka Connect
class names it answers to (`CLASS_NAMES`), and builds its `RecordSource` or
`RecordSink` from a `ConnectorContext`. The runtime supplies the Kafka side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ParsedConfig
from pyconnect_flow.config.unsupported import UnsupportedKey
from pyconnect_flow.contract.sink import RecordSink
from pyconnect_flow.contract.source import RecordSource
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter, Stage
from pyconnect_flow.record import Record


@dataclass
class ConnectorContext:
    """Everything a connector needs to build its source or sink."""

    name: str
    config: ParsedConfig
    worker: Mapping[str, str] = field(default_factory=dict)
    stop_at_end: bool = False
    errors: ErrorReporter | None = None
    dead_letters: Any = None
    """`dead_letters.DeadLetterQueue` when `errors.deadletterqueue.topic.name` is set."""
    originals: dict[int, Record] = field(default_factory=dict)
    """id(record handed to the sink) → the record as read from Kafka, while a batch is in flight."""

    def __post_init__(self) -> None:
        if self.errors is None:
            self.errors = ErrorReporter(self.name, ErrorPolicy())

    def report(self, record: Record, exc: BaseException, class_name: str = "") -> None:
        """A sink could not write `record`: apply `errors.tolerance` (raise, or log and dead-letter it).

        Sinks call this for failures of single records (constraint violations,
        malformed documents) so the rest of the batch goes on, as Kafka Connect's
        ErrantRecordReporter does. The dead letter carries the record as read from Kafka.
        """
        original = self.originals.get(id(record))
        failed = self.reporter.failed(Stage.TASK_PUT, record, exc, class_name or self.name, original=original)
        if failed is not None and self.dead_letters is not None:
            self.dead_letters.send(failed)

    @property
    def reporter(self) -> ErrorReporter:
        assert self.errors is not None
        return self.errors


class Connector:
    """Base of every connector class."""

    KIND: ClassVar[str] = "source"
    """"source" (system → Kafka) or "sink" (Kafka → system)."""

    CLASS_NAMES: ClassVar[tuple[str, ...]] = ()
    """Fully qualified names this connector answers to; simple-name aliases are derived."""

    CONFIG: ClassVar[ConfigDef] = ConfigDef()
    """This connector's own keys (the common ones are added by the runtime)."""

    ALLOWED_PREFIXES: ClassVar[tuple[str, ...]] = ()
    """Key prefixes passed through unchecked (e.g. client settings)."""

    UNSUPPORTED_KEYS: ClassVar[Mapping[str, UnsupportedKey]] = {}
    """Keys of the Confluent connector this one mirrors that it does not implement: accepted with a warning
    at Confluent's default, refused otherwise (`config.unsupported`)."""

    USES_KAFKA: ClassVar[bool] = True
    """Whether the connector reads from or writes to the worker's Kafka cluster (every built-in one does: a
    source produces to it, a sink consumes from it). A worker file must then set `bootstrap.servers`."""

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
        """Checks across keys, after each key was checked on its own."""
        return []

    def source(self) -> RecordSource:
        """The input of a source connector."""
        raise NotImplementedError(f"{type(self).__name__} is not a source connector")

    def sink(self) -> RecordSink:
        """The output of a sink connector."""
        raise NotImplementedError(f"{type(self).__name__} is not a sink connector")

    @classmethod
    def short_names(cls) -> list[str]:
        """Kafka Connect's aliases: the simple class name, and without a `Connector` suffix."""
        names: dict[str, None] = {}  # ordered, without repeats (two packages may use one simple name)
        for full in cls.CLASS_NAMES:
            simple = full.rsplit(".", 1)[-1]
            names[simple] = None
            if simple.endswith("Connector") and len(simple) > len("Connector"):
                names[simple[: -len("Connector")]] = None
        return list(names)
