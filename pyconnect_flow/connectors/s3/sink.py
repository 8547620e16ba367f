"""`S3SinkConnector`: Kafka → S3 objects, configured like Confluent's `io.confluent.connect.s3.S3SinkConnector`.

Example connector config::

    name=s3-sink
    connector.class=io.confluent.connect.s3.S3SinkConnector
    topics=orders
    s3.bucket.name=my-bucket
    s3.region=eu-west-1
    format.class=io.confluent.connect.s3.format.parquet.ParquetFormat
    flush.size=10000
    partitioner.class=io.confluent.connect.storage.partitioner.HourlyPartitioner
    timestamp.extractor=Record
    locale=en-US
    timezone=UTC
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigIssue
from pyconnect_flow.connectors.s3.config import CONFIG, UNSUPPORTED, S3SinkSettings, validate
from pyconnect_flow.connectors.s3.formats import create_format
from pyconnect_flow.connectors.s3.partitioners import create_partitioner
from pyconnect_flow.connectors.s3.storage import S3Storage
from pyconnect_flow.connectors.s3.writer import S3PartitionWriter
from pyconnect_flow.contract.connector import Connector, ConnectorContext
from pyconnect_flow.contract.sink import RecordSink

log = logging.getLogger(__name__)


class S3Sink(RecordSink):
    """Writes each sink partition (a Kafka topic-partition) into rotating S3 objects.

    `holds_records`: open files are kept across epochs; the runtime keeps the
    stored source position at the oldest open file's first offset, so a crash
    replays them (see `writer`).
    """

    holds_records = True
    reports_late = False  # records the format or partitioner rejects are reported inside write()
    accepts_columns = True  # decoded Kafka columns are written without records where possible (`writer`)

    def __init__(self, settings: S3SinkSettings, ctx: ConnectorContext, storage: S3Storage | None = None) -> None:
        self.settings = settings
        self.ctx = ctx
        self.storage = storage or S3Storage(settings, ctx.name)
        self._writers: weakref.WeakSet[S3PartitionWriter] = weakref.WeakSet()
        self._ticker: threading.Thread | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_writers=None, _ticker=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._writers = weakref.WeakSet()

    def preflight(self) -> None:
        self.storage.preflight()

    def open(self, partition: str, state: Any | None) -> S3PartitionWriter:
        settings = self.settings
        writer = S3PartitionWriter(settings, self.storage, create_format(settings), create_partitioner(settings),
                                   self.ctx, partition, state)
        if settings.rotate_schedule_interval_ms > 0:
            self._writers.add(writer)
            if self._ticker is None:
                period = min(1.0, settings.rotate_schedule_interval_ms / 10_000)
                self._ticker = threading.Thread(target=_tick_forever, args=(weakref.ref(self), period),
                                                name=f"s3-schedule-{self.ctx.name}", daemon=True)
                self._ticker.start()
        return writer

    def tick(self) -> None:
        """Let every open writer commit files whose scheduled rotation time has passed."""
        for writer in list(self._writers):
            if not writer.closed:
                writer.tick()


def _tick_forever(sink_ref: weakref.ReferenceType[S3Sink], period: float) -> None:
    event = threading.Event()
    while not event.wait(period):
        sink = sink_ref()
        if sink is None:
            return
        try:
            sink.tick()
        except Exception:  # noqa: BLE001 - writers keep their own failures; never kill the timer
            log.exception("S3 scheduled rotation failed")
        del sink


class S3SinkConnector(Connector):
    """Kafka → Amazon S3 (or any S3-compatible store): JSON, Avro, Parquet or raw bytes, exactly once."""

    KIND = "sink"
    CLASS_NAMES = ("io.confluent.connect.s3.S3SinkConnector", "pyconnect_flow.connectors.s3.S3SinkConnector")
    CONFIG = CONFIG
    UNSUPPORTED_KEYS = UNSUPPORTED

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
        return validate(values, raw)

    def sink(self) -> S3Sink:
        return S3Sink(S3SinkSettings.from_config(self.ctx.config), self.ctx)
