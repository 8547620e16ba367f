"""One retry policy for every sink and client: exponential backoff with jitter, a cap, a limit, a classifier.

A connector maps its own keys onto a `RetryPolicy` once (the SQL sink's `max.retries`/`retry.backoff.ms`,
the S3 sink's `s3.part.retries`/`s3.retry.backoff.ms`, the runtime's `errors.retry.*`, ...) and runs every
operation that may fail for a while through it, instead of a loop of its own::

    policy = RetryPolicy(first_delay_ms=100, max_retries=5, retriable=is_transient)
    answer = policy.run(lambda: client.post(body), connector="orders-to-es", what="bulk request")

`run` calls the operation; a failure the classifier calls permanent is raised at once, a retriable one is
logged (connector, what failed, attempt, wait) and tried again after `delay_ms(n)`; when the retries run
out (`max_retries`, or `timeout_ms` since the first attempt), `RetriesExhausted` carries the attempts made
and the last failure. Messages show failures through `describe`: pass one that hides secrets.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.errors import RetriableError

log = logging.getLogger(__name__)

T = TypeVar("T")


class Jitter(str, Enum):
    """How a retry's delay (`first_delay_ms` x `multiplier`^(n-1), at most `max_delay_ms`) is randomised."""

    NONE = "none"
    """Wait exactly the delay (Confluent's JDBC sink: `retry.backoff.ms` every time)."""
    FULL = "full"
    """A uniform wait in [0, delay] (Confluent's RetryUtil, used by its Elasticsearch sink)."""
    HALF = "half"
    """A uniform wait in [delay / 2, delay]."""
    ABOVE_MAX = "above_max"
    """The delay itself while it is at most `max_delay_ms`, then a uniform wait in [0, max_delay_ms)
    (Kafka Connect's RetryWithToleranceOperator)."""


def is_retriable_error(exc: BaseException) -> bool:
    """The default classifier: Kafka Connect's rule, a `RetriableError` (its RetriableException) is retried."""
    return isinstance(exc, RetriableError)


def describe_failure(exc: BaseException) -> str:
    """`Type: message` (the default way `run` shows a failure; pass your own when messages may hold secrets)."""
    return f"{type(exc).__name__}: {exc}"


class RetriesExhausted(ConnectException):
    """Every attempt `RetryPolicy.run` was allowed failed retriably; `last` is the last failure."""

    def __init__(self, connector: str, what: str, attempts: int, last: BaseException, shown: str) -> None:
        super().__init__(f"Connector '{connector}': {what} failed after {attempts} attempt(s): {shown}")
        self.attempts = attempts
        self.last = last


@dataclass(frozen=True)
class RetryPolicy:
    """When and how often an operation that failed retriably is tried again.

    Retry n (1 = the first) waits `first_delay_ms` x `multiplier`^(n-1), at most `max_delay_ms`, randomised
    by `jitter`. Retries stop after `max_retries` (None: no limit) or once `timeout_ms` passed since the
    first attempt (None: no deadline; a wait never goes past the deadline). Both None: retried until it
    succeeds. `retriable` says which failures are worth another attempt (a module-level function, so the
    policy pickles with the sink that holds it).
    """

    first_delay_ms: float
    max_retries: int | None = None
    timeout_ms: float | None = None
    multiplier: float = 2.0
    max_delay_ms: float = math.inf
    jitter: Jitter = Jitter.FULL
    retriable: Callable[[BaseException], bool] = is_retriable_error

    @classmethod
    def kafka_connect(cls, retry_timeout_ms: int, retry_delay_max_ms: int,
                      retriable: Callable[[BaseException], bool] = is_retriable_error) -> RetryPolicy:
        """`errors.retry.timeout` and `errors.retry.delay.max.ms` as Kafka Connect's RetryWithToleranceOperator
        applies them: 300 ms doubling per retry; once that passes the maximum, a uniform wait below it; retried
        while less than the timeout has passed since the first attempt (0: never, -1: forever)."""
        return cls(first_delay_ms=300, timeout_ms=None if retry_timeout_ms < 0 else retry_timeout_ms,
                   max_delay_ms=retry_delay_max_ms, jitter=Jitter.ABOVE_MAX, retriable=retriable)

    def delay_ms(self, retry: int) -> float:
        """The wait before retry number `retry` (1 = the first retry), jitter included."""
        delay = self.first_delay_ms * self.multiplier ** min(retry - 1, 64)  # past 2**64 the cap rules anyway
        jitter = self.jitter
        if jitter is Jitter.ABOVE_MAX:
            return random.uniform(0, self.max_delay_ms) if delay > self.max_delay_ms else delay
        delay = min(delay, self.max_delay_ms)
        if jitter is Jitter.FULL:
            return random.uniform(0, delay)
        if jitter is Jitter.HALF:
            return delay * (0.5 + random.random() / 2)
        return delay

    def run(self, operation: Callable[[], T], *, connector: str, what: str,
            describe: Callable[[BaseException], str] = describe_failure, first_failure: BaseException | None = None,
            sleep: Callable[[float], None] = time.sleep) -> T:
        """`operation()`, tried again after retriable failures; its result.

        A failure `retriable` rejects is raised as it is. When the retries run out, `RetriesExhausted` is
        raised from the last failure. `first_failure`: the operation already failed once (e.g. in a pool
        thread); go on from there as if this call had made that attempt. Each retry logs a warning naming
        `connector` and `what` failed, with `describe(failure)`.
        """
        deadline = None if self.timeout_ms is None else time.monotonic() + self.timeout_ms / 1000
        total = "" if self.max_retries is None else f" of {self.max_retries + 1}"
        attempts = 0
        failure = first_failure
        while True:
            if failure is None:
                try:
                    return operation()
                except Exception as exc:  # noqa: BLE001 - classified below
                    failure = exc
            attempts += 1
            if not self.retriable(failure):
                raise failure
            now = time.monotonic()
            if (self.max_retries is not None and attempts > self.max_retries) or (
                    deadline is not None and now >= deadline):
                raise RetriesExhausted(connector, what, attempts, failure, describe(failure)) from failure
            wait = self.delay_ms(attempts)
            if deadline is not None:
                wait = min(wait, max(0.0, (deadline - now) * 1000))
            log.warning("Connector '%s': %s failed (attempt %d%s), retrying in %.0f ms: %s", connector, what,
                        attempts, total, wait, describe(failure))
            sleep(wait / 1000)
            failure = None
