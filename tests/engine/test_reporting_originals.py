"""Originals kept for dead letters of sinks that report late: dropped as soon as the writer settles them."""

from __future__ import annotations

from typing import Any

from pyconnect_flow.config.definition import ConfigDef, ParsedConfig
from pyconnect_flow.contract.connector import ConnectorContext
from pyconnect_flow.contract.sink import SinkBatch, SinkWriter
from pyconnect_flow.engine.reporting import ReportingWriter
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.record import Record


class _ChunkedWriter(SinkWriter):
    """Settles records in chunks of three, reporting the odd offsets of a chunk when it settles (late)."""

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.open: list[Record] = []
        self.reported: list[tuple[int, Any]] = []

    def write(self, records: list[Record]) -> None:
        self.open.extend(records)
        while len(self.open) >= 3:
            self._settle(self.open[:3])
            del self.open[:3]

    def _settle(self, records: list[Record]) -> None:
        for r in records:
            if r.offset % 2:
                self.reported.append((r.offset, self.ctx.originals.get(id(r))))

    def unsettled(self) -> int | None:
        return len(self.open)

    def flush(self) -> Any:
        self._settle(self.open)
        self.open.clear()
        return None


def test_originals_are_kept_only_while_the_writer_may_still_report_them() -> None:
    policy = ErrorPolicy.from_values({"errors.tolerance": "all"})
    ctx = ConnectorContext("late", ParsedConfig({}, {}, ConfigDef([])), errors=ErrorReporter("late", policy))
    inner = _ChunkedWriter(ctx)
    writer = ReportingWriter(inner, ctx, reports_late=True)
    for start in (0, 4):
        decoded = [Record("t", value=i, offset=i) for i in range(start, start + 4)]
        raw = [Record("t", value=b"raw-%d" % i, offset=i) for i in range(start, start + 4)]
        writer.write(SinkBatch(decoded, raw))
        assert len(ctx.originals) == len(inner.open)  # only the unsettled ones
    writer.flush()
    assert len(ctx.originals) == 0
    assert [(offset, original.value) for offset, original in inner.reported] == [
        (1, b"raw-1"), (3, b"raw-3"), (5, b"raw-5"), (7, b"raw-7")]
