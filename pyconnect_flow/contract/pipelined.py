"""A base for sink writers that send requests on a thread pool while the flow goes on (SQL, Elasticsearch).

A pipelined writer buffers what `write` receives (`pending`), sends it as one request when enough is
buffered (`_send`), and lets a pool thread do the slow part (a database transaction, a bulk request)
while the flow decodes the next records. `PipelinedWriter` holds what every such writer needs:

- bounded requests in flight: at most `max_in_flight` per writer, and a `slots` semaphore when the
  writers of one sink share a bound (waiting for a slot, or an answer, takes at most `timeout_s`);
- ordered settlement: `_settle` hands finished requests to the subclass's `_settled` in the order they
  were sent, in the flow's thread, where results are read, failures reported and retries made;
- what is unsettled: each record handed to `write` has a position (1, 2, ...); `unsettled()` counts from
  the oldest record still pending or in an unsettled request to the last one (`SinkWriter.unsettled`).

`flush` sends what is pending and settles every request, so at the epoch boundary all is durable.
Without a pool, a request runs and settles at once in `_send` (a database without a pipelined path).

A subclass buffers in `write` (`_count` the records, `_buffer` what becomes requests, `_send` when a
request is full) and implements `_request` (prepare a request: the work for the pool thread and what
settling it needs) and `_settled` (read the outcome, raise to stop the flow).
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Generic, Literal, TypeVar

from pyconnect_flow.contract.sink import SinkWriter
from pyconnect_flow.data.exceptions import ConnectException

ItemT = TypeVar("ItemT")  # what is buffered and sent (records, bulk items)
DataT = TypeVar("DataT")  # what settling a request needs besides its items
ResultT = TypeVar("ResultT")  # what a request's work returns

Waiting = Literal["slot", "answer"]


class Request(Generic[ItemT, DataT, ResultT]):
    """One request on its way: the items it carries, what settling it needs, its future, and the write
    position of its oldest record."""

    __slots__ = ("items", "data", "future", "first")

    def __init__(self, items: list[ItemT], data: DataT, future: Future[ResultT], first: int) -> None:
        self.items, self.data, self.future, self.first = items, data, future, first


class PipelinedWriter(SinkWriter, Generic[ItemT, DataT, ResultT]):
    """Pending items, requests in flight on a pool, settled in order (see the module docstring)."""

    def __init__(self, pool: Executor | None, *, max_in_flight: int | None = None,
                 slots: threading.Semaphore | None = None, timeout_s: float | None = None) -> None:
        self.pool = pool
        self.max_in_flight = max_in_flight
        self.slots = slots
        self.timeout_s = timeout_s
        self.pending: list[ItemT] = []
        self.pending_first = 0
        """The write position of the oldest record in `pending` (meaningful while `pending` is not empty)."""
        self.received = 0
        """Records handed to `write`, ever: the position of the last one."""
        self.in_flight: deque[Request[ItemT, DataT, ResultT]] = deque()

    # what a subclass implements -------------------------------------------------------------

    @abstractmethod
    def _request(self, items: list[ItemT]) -> tuple[Callable[[], ResultT], DataT]:
        """The work a pool thread does for `items` (prepared here, in the flow's thread), and what
        `_settled` needs besides them. May wait for earlier requests (`_await`)."""

    @abstractmethod
    def _settled(self, request: Request[ItemT, DataT, ResultT]) -> None:
        """Handle a finished request, in the flow's thread and in the order requests were sent;
        `request.future.result()` raises its failure. Raise to stop the flow."""

    def _timed_out(self, waiting: Waiting) -> Exception:
        """The error raised when no slot came free (`slot`) or a request was not answered (`answer`) in time."""
        what = "no request finished" if waiting == "slot" else "a request was not answered"
        return ConnectException(f"{what} within {self.timeout_s} s")

    # for subclasses -----------------------------------------------------------------------------

    def _count(self, n: int) -> int:
        """Count `n` records handed to `write`; the position of the first of them."""
        first = self.received + 1
        self.received += n
        return first

    def _buffer(self, items: Iterable[ItemT], first: int) -> None:
        """Add `items` to `pending`; `first` is the position of the record the first of them comes from."""
        pending = self.pending
        if not pending:
            self.pending_first = first
        pending.extend(items)

    def _send(self) -> None:
        """Send `pending` as one request (nothing when it is empty), once the bounds allow."""
        if not self.pending:
            return
        if self.max_in_flight is not None:
            while len(self.in_flight) >= self.max_in_flight:
                self._settle_oldest()
        items, first = self.pending, self.pending_first
        self.pending = []
        work, data = self._request(items)
        self.in_flight.append(Request(items, data, self._start(work), first))
        if self.pool is None:
            self._settle()

    def _settle(self, done_only: bool = False) -> None:
        """Settle the requests in flight in the order they were sent: all of them, or while they are done."""
        in_flight = self.in_flight
        while in_flight:
            if done_only and not in_flight[0].future.done():
                return
            self._settle_oldest()

    def _await(self, request: Request[ItemT, DataT, ResultT]) -> None:
        """Wait until `request` finished (its failure is raised when it is settled, in order)."""
        try:
            request.future.result(timeout=self.timeout_s)
        except FutureTimeout:
            raise self._timed_out("answer") from None
        except Exception:  # noqa: BLE001 - raised again, in order, by _settled
            pass

    def _abandon(self, wait: bool) -> None:
        """Forget pending items and requests in flight (after a failure, or at close): requests not started
        are cancelled; with `wait`, running ones are waited for (their outcome is ignored)."""
        self.pending = []
        while self.in_flight:
            future = self.in_flight.popleft().future
            if future.cancel():
                if self.slots is not None and self.pool is not None:
                    self.slots.release()  # its work never ran to give the slot back
            elif wait:
                try:
                    future.result()
                except Exception:  # noqa: BLE001 - the failure that brought us here is already raised
                    pass

    # SinkWriter -----------------------------------------------------------------------------------

    def unsettled(self) -> int | None:
        if self.in_flight:
            oldest = self.in_flight[0].first
        elif self.pending:
            oldest = self.pending_first
        else:
            return 0
        return self.received - oldest + 1

    def idle(self) -> None:
        """Send what is pending now (the source has nothing more for the moment); settle what is done."""
        self._send()
        self._settle(done_only=True)

    def flush(self) -> Any:
        """Send what is pending and settle every request."""
        self._send()
        self._settle()
        return None

    def close(self) -> None:
        self._abandon(wait=False)

    # internals ------------------------------------------------------------------------------------

    def _settle_oldest(self) -> None:
        request = self.in_flight[0]
        self._await(request)
        self.in_flight.popleft()
        self._settled(request)

    def _start(self, work: Callable[[], ResultT]) -> Future[ResultT]:
        if self.pool is None:
            future: Future[ResultT] = Future()
            try:
                future.set_result(work())
            except Exception as exc:  # noqa: BLE001 - settled like a pool thread's failure
                future.set_exception(exc)
            return future
        slots = self.slots
        if slots is None:
            return self.pool.submit(work)
        if not slots.acquire(timeout=self.timeout_s):
            raise self._timed_out("slot")

        def run() -> ResultT:
            try:
                return work()
            finally:
                slots.release()

        try:
            return self.pool.submit(run)
        except BaseException:
            slots.release()
            raise
