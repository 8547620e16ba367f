"""`PositionHolds`: stored Kafka positions never pass what a `holds_records` sink (S3) has made durable."""

from __future__ import annotations

from typing import Any

from pyconnect_flow.contract.sink import RecordSink, SinkBatch, SinkWriter
from pyconnect_flow.contract.source import RecordSource, SourceReader
from pyconnect_flow.engine.adapters import BytewaxSink, BytewaxSource
from pyconnect_flow.engine.positions import Deliveries, PositionHolds
from pyconnect_flow.record import Record


def test_cap_is_the_start_until_the_sink_flushes_then_its_durable_offset() -> None:
    holds = PositionHolds()
    holds.opened("t-0", 100)
    assert holds.cap("t-0", 250) == 100  # the sink has not made anything durable yet
    holds.flushed("t-0", 180)
    assert holds.cap("t-0", 250) == 180
    holds.flushed("t-0", None)  # no news keeps the last durable offset
    assert holds.cap("t-0", 250) == 180
    holds.flushed("t-0", 260)
    assert holds.cap("t-0", 250) == 250  # never more than the source's own position
    holds.opened("t-1", None)  # a fresh start from the group's offset / auto.offset.reset
    assert holds.cap("t-1", 40) is None


class _Reader(SourceReader):
    def __init__(self) -> None:
        self.next = 10
        self.delivered_at: Any = None

    def read(self) -> list[Record]:
        records = [Record("t", None, {"n": i}, 0, i) for i in range(self.next, self.next + 5)]
        self.next += 5
        return records

    def position(self) -> int:
        return self.next

    def delivered(self, position: Any) -> None:
        self.delivered_at = position


class _Source(RecordSource):
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def partitions(self) -> list[str]:
        return ["t-0"]

    def open(self, partition: str, position: Any | None) -> SourceReader:
        return self.reader


class _Writer(SinkWriter):
    def __init__(self) -> None:
        self.open_from: int | None = None

    def write(self, records: list[Record]) -> None:
        if self.open_from is None:
            self.open_from = records[0].offset

    def durable_position(self) -> int | None:
        return self.open_from


class _Sink(RecordSink):
    holds_records = True

    def __init__(self, writer: _Writer) -> None:
        self.writer = writer

    def open(self, partition: str, state: Any | None) -> SinkWriter:
        return self.writer


def test_adapters_store_the_capped_position_and_publish_it_once_durable() -> None:
    holds, deliveries, reader, writer = PositionHolds(), Deliveries(), _Reader(), _Writer()
    source = BytewaxSource(_Source(reader), holds, deliveries=deliveries).build_part("s", "t-0", 10)
    sink = BytewaxSink(_Sink(writer), lambda: ["t-0"], holds, deliveries=deliveries).build_part("k", "t-0", None)
    batch = source.next_batch()
    assert source.snapshot() == 10 and reader.delivered_at is None  # nothing durable yet: stay at the start
    sink.write_batch([SinkBatch(records) for _key, records in batch])
    sink.snapshot()  # the sink keeps offsets 10.. open
    assert reader.delivered_at == 10
    source.next_batch()
    assert source.snapshot() == 10
    writer.open_from = 20  # the file rolled; everything below 20 is in S3
    sink.snapshot()
    assert source.snapshot() == 20 and reader.position() == 20
    sink.snapshot()
    assert reader.delivered_at == 20
