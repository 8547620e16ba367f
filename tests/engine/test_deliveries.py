"""`Deliveries`: a source position is published only after its sink partition made it durable."""

from __future__ import annotations

from typing import Any

import pytest

from pyconnect_flow.contract.sink import RecordSink, SinkBatch, SinkWriter
from pyconnect_flow.contract.source import RecordSource, SourceReader
from pyconnect_flow.engine.adapters import BytewaxSink, BytewaxSource, DeadLetterBatch
from pyconnect_flow.engine.positions import Deliveries
from pyconnect_flow.record import Record


class _Reader(SourceReader):
    def __init__(self) -> None:
        self.next = 0
        self.delivered_at: list[Any] = []
        self.closed = False

    def read(self) -> list[Record]:
        records = [Record("t", None, i, 0, i) for i in range(self.next, self.next + 3)]
        self.next += 3
        return records

    def position(self) -> int:
        return self.next

    def delivered(self, position: Any) -> None:
        assert not self.closed, "delivered after close"
        self.delivered_at.append(position)

    def close(self) -> None:
        self.closed = True


class _Source(RecordSource):
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def partitions(self) -> list[str]:
        return ["t-0"]

    def open(self, partition: str, position: Any | None) -> SourceReader:
        return self.reader


class _Writer(SinkWriter):
    def __init__(self, fail_flush: bool = False) -> None:
        self.written: list[Any] = []
        self.durable: list[Any] = []
        self.fail_flush = fail_flush

    def write(self, records: list[Record]) -> None:
        self.written.extend(records)

    def flush(self) -> None:
        if self.fail_flush:
            raise RuntimeError("sink unavailable")
        self.durable = list(self.written)


class _Sink(RecordSink):
    def __init__(self, writer: _Writer) -> None:
        self.writer = writer

    def open(self, partition: str, state: Any | None) -> SinkWriter:
        return self.writer


def _pipeline(writer: _Writer, dead_letters: _Writer | None = None) -> tuple[Any, Any, _Reader]:
    deliveries, reader = Deliveries(), _Reader()
    source = BytewaxSource(_Source(reader), deliveries=deliveries).build_part("s", "t-0", None)
    sink = BytewaxSink(_Sink(writer), lambda: ["t-0"], deliveries=deliveries,
                       dead_letter_sink=_Sink(dead_letters) if dead_letters else None).build_part("k", "t-0", None)
    return source, sink, reader


def test_the_position_of_an_epoch_is_published_after_the_sink_flushed_it_never_the_read_ahead() -> None:
    writer = _Writer()
    source, sink, reader = _pipeline(writer)
    sink.write_batch([SinkBatch(b) for _k, b in source.next_batch()])
    assert source.snapshot() == 3
    assert reader.delivered_at == []  # stored, but not yet durable in the sink
    sink.snapshot()
    assert reader.delivered_at == [3] and len(writer.durable) == 3
    source.next_batch()  # read ahead, not yet written
    sink.close()
    source.close()
    assert reader.delivered_at == [3] and reader.closed  # close publishes nothing


def test_a_failed_flush_publishes_nothing() -> None:
    source, sink, reader = _pipeline(_Writer(fail_flush=True))
    sink.write_batch([SinkBatch(b) for _k, b in source.next_batch()])
    source.snapshot()
    with pytest.raises(RuntimeError):
        sink.snapshot()
    sink.close()
    source.close()
    assert reader.delivered_at == [] and reader.closed


def test_a_source_that_ended_stays_open_until_its_last_epoch_is_flushed() -> None:
    writer = _Writer()
    source, sink, reader = _pipeline(writer)
    sink.write_batch([SinkBatch(b) for _k, b in source.next_batch()])
    source.snapshot()
    source.close()  # Bytewax drops a partition at its end, before the sink's last snapshot
    assert not reader.closed
    sink.snapshot()
    assert reader.delivered_at == [3] and not reader.closed
    sink.close()
    assert reader.delivered_at == [3] and reader.closed


def test_dead_letters_are_flushed_with_the_sink_before_the_position_is_published() -> None:
    writer, dlq = _Writer(), _Writer()
    source, sink, reader = _pipeline(writer, dlq)
    sink.write_batch([DeadLetterBatch([Record("dlq", b"k", b"v")]), SinkBatch([Record("t", None, 1, 0, 1)]), SinkBatch()])
    source.next_batch()
    source.snapshot()
    sink.snapshot()
    assert [r.value for r in dlq.durable] == [b"v"] and len(writer.durable) == 1
    assert reader.delivered_at == [3]


class _Holding(_Writer):
    close_fails = False

    def durable_position(self) -> int | None:
        return 0  # holds everything in open files until close

    def close(self) -> None:
        if self.close_fails:
            raise RuntimeError("cannot commit the open files")


@pytest.mark.parametrize("close_fails", [False, True])
def test_a_clean_close_delivers_what_a_holding_sink_committed_at_close_a_failed_one_does_not(
        close_fails: bool) -> None:
    from pyconnect_flow.engine.positions import PositionHolds

    deliveries, holds, reader = Deliveries(), PositionHolds(), _Reader()
    source = BytewaxSource(_Source(reader), holds, deliveries=deliveries).build_part("s", "t-0", 0)
    writer = _Holding()
    writer.close_fails = close_fails
    sink = BytewaxSink(_Sink(writer), lambda: ["t-0"], holds, deliveries=deliveries).build_part(
        "k", "t-0", None)
    sink.write_batch([SinkBatch(b) for _k, b in source.next_batch()])
    assert source.snapshot() == 0  # capped: the sink holds offsets 0..2
    sink.snapshot()
    source.next_batch()  # read, never written: a clean close must not deliver it
    source.close()
    sink.close()
    assert reader.delivered_at == ([0] if close_fails else [0, 3]) and reader.closed
