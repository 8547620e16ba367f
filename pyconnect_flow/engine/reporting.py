"""Failures a sink reports for single records (`ConnectorContext.report`), with the records as read from Kafka.

`ReportingSink` wraps a sink connector's sink when its errors may reach a dead letter queue: it keeps the
original of each record handed to the writer for as long as the writer may still report it, and makes the
dead letters durable in the same flush as the sink's own writes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from pyconnect_flow.contract.sink import RecordSink, SinkBatch, SinkWriter
from pyconnect_flow.record import Record


class _Originals(dict[int, Record]):
    """`ConnectorContext.originals`: id(record) → the record as read from Kafka, for dead letters.

    Holds the records of sinks that report late (`RecordSink.reports_late`) until their flush;
    for the others only the batch being written (`current`) is looked at, indexed on the first
    report of that batch.
    """

    __slots__ = ("_current", "_index")

    def __init__(self) -> None:
        super().__init__()
        self._current: Callable[[], tuple[list[Record], list[Record]]] | None = None
        self._index: dict[int, Record] | None = None

    @property
    def current(self) -> Callable[[], tuple[list[Record], list[Record]]] | None:
        """The batch being written, as a function giving (records, originals): called on the first report
        only (a batch of columns builds its records and originals then, if ever)."""
        return self._current

    @current.setter
    def current(self, batch: Callable[[], tuple[list[Record], list[Record]]] | None) -> None:
        self._current, self._index = batch, None

    def get(self, key: int, default: Any = None) -> Any:
        found = super().get(key)
        if found is not None or self._current is None:
            return default if found is None else found
        if self._index is None:
            records, originals = self._current()
            self._index = {id(r): o for r, o in zip(records, originals)}
        return self._index.get(key, default)


class ReportingWriter(SinkWriter):
    """Lets a sink report single failed records (`ConnectorContext.report`) with their original bytes,
    and makes the dead letters durable together with the sink's own writes."""

    def __init__(self, inner: SinkWriter, ctx: Any, reports_late: bool = True) -> None:
        self.inner = inner
        self.ctx = ctx
        self.reports_late = reports_late
        if not isinstance(ctx.originals, _Originals):
            ctx.originals = _Originals()
        self._ids: deque[int] = deque()  # of the records whose originals are kept, oldest first

    def write(self, records: SinkBatch) -> None:
        originals = records.originals
        columns = records.columns
        if columns is not None and not self.reports_late:
            # Decoded columns: a writer that reports a record got it from `records.records()` (built once).
            self._write_current(records, lambda: (records.records(), columns.originals()))
        elif originals is None:
            self.inner.write(records)
        elif self.reports_late:
            # Kept until the writer settles them (`SinkWriter.unsettled`), at the latest until the flush.
            ids = [id(r) for r in records]
            self.ctx.originals.update(zip(ids, originals))
            self._ids.extend(ids)
            self.inner.write(records)
            self._forget_settled()
        else:
            self._write_current(records, lambda: (records, originals))

    def _write_current(self, records: SinkBatch, batch: Callable[[], tuple[list[Record], list[Record]]]) -> None:
        """Write, with `batch` as the table a report inside `write` looks its original up in."""
        table = self.ctx.originals
        table.current = batch
        try:
            self.inner.write(records)
        finally:
            table.current = None

    def _forget_settled(self) -> None:
        unsettled = self.inner.unsettled()
        if unsettled is None:
            return
        pop, oldest = self.ctx.originals.pop, self._ids.popleft
        for _ in range(len(self._ids) - unsettled):
            pop(oldest(), None)

    def flush(self) -> Any:
        state = self.inner.flush()
        if self.ctx.dead_letters is not None:
            self.ctx.dead_letters.flush()
        for i in self._ids:
            self.ctx.originals.pop(i, None)
        self._ids.clear()
        return state

    def durable_position(self) -> int | None:
        return self.inner.durable_position()

    def close(self) -> None:
        self.inner.close()


class ReportingSink(RecordSink):
    def __init__(self, inner: RecordSink, ctx: Any) -> None:
        self.inner = inner
        self.ctx = ctx
        self.raw = inner.raw  # type: ignore[misc]
        self.holds_records = inner.holds_records  # type: ignore[misc]
        self.reports_late = inner.reports_late  # type: ignore[misc]

    def preflight(self) -> None:
        self.inner.preflight()

    def open(self, partition: str, state: Any | None) -> SinkWriter:
        return ReportingWriter(self.inner.open(partition, state), self.ctx, self.reports_late)
