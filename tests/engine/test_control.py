"""Outside control of a pipeline (`engine.control`): pausing its sources, initial positions, and the
worker's view of a connector's recovery store (`runtime.offsets`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import bytewax.operators as op
import pytest
from bytewax.dataflow import Dataflow
from bytewax.recovery import RecoveryConfig
from bytewax.testing import TestingSink, run_main

from pyconnect_flow.contract.source import EndOfInput, ReadBatch, RecordSource, SourceReader
from pyconnect_flow.engine import control
from pyconnect_flow.engine.adapters import BytewaxSource
from pyconnect_flow.engine.recovery import prepare_recovery_dir
from pyconnect_flow.record import Record
from pyconnect_flow.runtime.offsets import forget_positions, source_step_id, stored_positions


class Counting(SourceReader):
    """Reads `end - position` one-record batches."""

    def __init__(self, key: str, position: int, end: int) -> None:
        self.key, self.pos, self.end, self.reads = key, position, end, 0

    def read(self) -> ReadBatch:
        self.reads += 1
        if self.pos >= self.end:
            raise EndOfInput()
        self.pos += 1
        return [Record(topic=self.key, value=self.pos)]

    def position(self) -> Any:
        return self.pos


class Counters(RecordSource):
    def __init__(self, keys: list[str], end: int) -> None:
        self.keys, self.end = keys, end

    def partitions(self) -> list[str]:
        return list(self.keys)

    def open(self, partition: str, position: Any | None) -> SourceReader:
        return Counting(partition, int(position or 0), self.end)


def test_a_paused_source_reads_nothing_and_resumes_where_it_was() -> None:
    part = BytewaxSource(Counters(["a"], 10)).build_part("s", "a", None)
    try:
        control.set_paused(True)
        assert part.next_batch() == [] and part.next_batch() == []
        assert part._reader.reads == 0  # type: ignore[attr-defined]
        wake = part.next_awake()
        assert wake is not None and wake > dt.datetime.now(dt.timezone.utc)
        control.set_paused(False)
        assert [r.value for _, batch in part.next_batch() for r in batch] == [1]
    finally:
        control.set_paused(False)


def test_the_pause_file_pauses(tmp_path: Path) -> None:
    flag = tmp_path / "paused"
    flag.touch()
    try:
        control.watch_pause_file(flag, interval_s=0.01)
        assert control.paused()
        flag.unlink()
        deadline = dt.datetime.now() + dt.timedelta(seconds=5)
        while control.paused() and dt.datetime.now() < deadline:
            pass
        assert not control.paused()
    finally:
        control.set_paused(False)


def test_initial_positions_apply_only_where_no_position_is_stored() -> None:
    source = BytewaxSource(Counters(["a", "b"], 10), initial_positions={"a": 7})
    assert source.build_part("s", "a", None)._reader.position() == 7  # type: ignore[attr-defined]
    assert source.build_part("s", "a", 3)._reader.position() == 3  # type: ignore[attr-defined]
    assert source.build_part("s", "b", None)._reader.position() == 0  # type: ignore[attr-defined]


def test_an_initial_positions_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "positions.json"
    path.write_text(json.dumps({"connector": "c", "positions": {"f.txt": 12}}))
    control.load_initial_positions(path)
    assert control.initial_positions("c") == {"f.txt": 12}
    control.load_initial_positions(tmp_path / "missing.json")  # nothing to do
    control.set_initial_positions("c", {})


def _run(store: Path, initial: dict[str, int] | None = None) -> list[int]:
    out: list[Any] = []
    flow = Dataflow("pyconnect")
    batches = op.input("c_source", flow, BytewaxSource(Counters(["a", "b"], 5), initial_positions=initial))
    op.output("out", op.flat_map("records", batches, lambda item: [r.value for r in item[1]]), TestingSink(out))
    run_main(flow, epoch_interval=dt.timedelta(milliseconds=1), recovery_config=RecoveryConfig(store))
    return sorted(out)


def test_the_worker_reads_and_forgets_stored_positions(tmp_path: Path) -> None:
    store = prepare_recovery_dir(tmp_path / "store")
    assert stored_positions(store, source_step_id("c")) == {}
    assert _run(store) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert stored_positions(store, source_step_id("c")) == {"a": 5, "b": 5}
    assert _run(store) == []  # resumed at the end

    # What PATCH …/offsets does: forget "a", start it from 3.
    forget_positions(store, source_step_id("c"), ["a"])
    assert stored_positions(store, source_step_id("c")) == {"b": 5}
    assert _run(store, initial={"a": 3}) == [4, 5]
    assert stored_positions(store, source_step_id("c")) == {"a": 5, "b": 5}
    assert _run(store, initial={"a": 3}) == []  # the store's position wins from then on
    forget_positions(store, source_step_id("c"))
    assert stored_positions(store, source_step_id("c")) == {}


def test_active_topics_are_recorded_once_each_and_again_after_a_reset(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "topics.txt"
    control.track_topics_file(path)
    try:
        assert control.tracking_topics()
        control.note_topics({"b", "a"})
        control.note_topics({"a"})
        control.note_topics({"c", "a"})
        assert path.read_text() == "a\nb\nc\n"
        assert control.read_topics_file(path) == ["a", "b", "c"]
        path.unlink()  # the worker's reset
        assert control.read_topics_file(path) == []
        monkeypatch.setattr(control, "_TOPICS_RECHECK_S", 0.0)
        control.note_topics({"b"})
        assert control.read_topics_file(path) == ["b"]
    finally:
        control.track_topics_file(None)
    control.note_topics({"z"})
    assert control.read_topics_file(path) == ["b"]
    assert not control.tracking_topics()
