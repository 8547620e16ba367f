"""The pipelined writer base: bounded requests in flight, settled in order, and what is still unsettled."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pyconnect_flow.contract.pipelined import PipelinedWriter, Request, Waiting
from pyconnect_flow.contract.sink import SinkBatch
from pyconnect_flow.record import Record


class Gated(PipelinedWriter[int, str, int]):
    """Sends every `size` values; each request's work waits for its gate (an Event per request)."""

    def __init__(self, pool: ThreadPoolExecutor | None, size: int = 2, **bounds: Any) -> None:
        super().__init__(pool, **bounds)
        self.size = size
        self.gates: list[threading.Event] = []
        self.settled: list[tuple[str, list[int], Any]] = []
        self.fail_at: set[int] = set()

    def write(self, records: SinkBatch) -> None:
        first = self._count(len(records))
        self._buffer([r.offset or 0 for r in records], first)
        if len(self.pending) >= self.size:
            self._send()

    def _request(self, items: list[int]) -> tuple[Callable[[], int], str]:
        gate = threading.Event()
        if self.pool is None:
            gate.set()
        self.gates.append(gate)
        number = len(self.gates)

        def work() -> int:
            assert gate.wait(10)
            if number in self.fail_at:
                raise ValueError(f"request {number}")
            return sum(items)

        return work, f"request {number}"

    def _settled(self, request: Request[int, str, int]) -> None:
        try:
            outcome: Any = request.future.result()
        except ValueError as exc:
            outcome = exc
        self.settled.append((request.data, request.items, outcome))

    def _timed_out(self, waiting: Waiting) -> Exception:
        return TimeoutError(waiting)


def batch(*offsets: int) -> SinkBatch:
    return SinkBatch(Record("t", offset=o) for o in offsets)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as p:
        yield p


def test_requests_settle_in_the_order_they_were_sent(pool: ThreadPoolExecutor) -> None:
    writer = Gated(pool)
    writer.write(batch(1, 2))
    writer.write(batch(3, 4))
    writer.write(batch(5))
    writer.gates[1].set()  # the second finishes first
    writer._settle(done_only=True)
    assert writer.settled == []  # the first is not done: nothing settles out of order
    writer.gates[0].set()
    writer._settle()
    assert [s[0] for s in writer.settled] == ["request 1", "request 2"]
    assert writer.pending == [5] and writer.unsettled() == 1


def test_flush_settles_everything(pool: ThreadPoolExecutor) -> None:
    writer = Gated(pool, size=3)
    writer.write(batch(1, 2, 3, 4))
    writer.write(batch(5))
    for gate in writer.gates:
        gate.set()
    threading.Timer(0.05, lambda: writer.gates[-1].set()).start()
    assert writer.flush() is None
    assert writer.settled == [("request 1", [1, 2, 3, 4], 10), ("request 2", [5], 5)]
    assert writer.unsettled() == 0 and not writer.in_flight


def test_unsettled_counts_from_the_oldest_pending_or_unanswered_record(pool: ThreadPoolExecutor) -> None:
    writer = Gated(pool, size=3)
    assert writer.unsettled() == 0
    writer.write(batch(1, 2))
    assert writer.unsettled() == 2  # pending
    writer.write(batch(3, 4))  # sent as request 1
    writer.write(batch(5))
    assert writer.unsettled() == 5  # request 1 unanswered, 5 pending
    writer.gates[0].set()
    writer.in_flight[0].future.result(5)
    writer._settle(done_only=True)
    assert writer.unsettled() == 1  # only 5, pending


def test_at_most_max_in_flight_per_writer(pool: ThreadPoolExecutor) -> None:
    writer = Gated(pool, size=1, max_in_flight=1)
    writer.write(batch(1))
    threading.Timer(0.05, lambda: writer.gates[0].set()).start()
    writer.write(batch(2))  # settles request 1 before sending
    assert [s[0] for s in writer.settled] == ["request 1"] and len(writer.in_flight) == 1
    writer.gates[1].set()
    writer.flush()


def test_shared_slots_bound_writers_and_time_out(pool: ThreadPoolExecutor) -> None:
    slots = threading.BoundedSemaphore(1)
    a, b = Gated(pool, size=1, slots=slots, timeout_s=0.1), Gated(pool, size=1, slots=slots, timeout_s=0.1)
    a.write(batch(1))
    with pytest.raises(TimeoutError, match="slot"):
        b.write(batch(2))
    a.gates[0].set()
    a.flush()
    b.write(batch(3))  # the slot came back
    b.gates[-1].set()
    b.flush()
    assert b.settled[-1][2] == 3


def test_close_cancels_what_has_not_started_and_gives_its_slot_back() -> None:
    slots = threading.BoundedSemaphore(2)
    with ThreadPoolExecutor(1) as one:
        writer = Gated(one, size=1, slots=slots, timeout_s=1)
        writer.write(batch(1))  # runs, waits for its gate
        writer.write(batch(2))  # queued behind it
        writer.close()
        writer.gates[0].set()
    assert slots.acquire(timeout=1) and slots.acquire(timeout=1)


def test_without_a_pool_requests_run_and_settle_at_once() -> None:
    writer = Gated(None, size=2)
    writer.fail_at = {2}
    writer.write(batch(1, 2))
    assert writer.settled == [("request 1", [1, 2], 3)] and not writer.in_flight
    writer.write(batch(3))
    assert writer.unsettled() == 1
    writer.flush()
    assert str(writer.settled[-1][2]) == "request 2"  # the failure reached _settled
