"""The one retry policy: delays per jitter, limits, classification, logging, and `errors.retry.*` as Kafka's."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from pyconnect_flow.contract.retry import Jitter, RetriesExhausted, RetryPolicy
from pyconnect_flow.engine.stages import _attempt
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter, RetriableError, Stage, StageError
from pyconnect_flow.record import Record


def failing(*outcomes: object) -> Callable[[], object]:
    """An operation that raises or returns `outcomes` in turn, counting its calls in `.calls`."""
    queue: Iterator[object] = iter(outcomes)

    def operation() -> object:
        operation.calls += 1  # type: ignore[attr-defined]
        outcome = next(queue)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    operation.calls = 0  # type: ignore[attr-defined]
    return operation


def test_delays_per_jitter() -> None:
    fixed = RetryPolicy(first_delay_ms=3000, multiplier=1, jitter=Jitter.NONE)
    assert [fixed.delay_ms(n) for n in (1, 2, 10)] == [3000, 3000, 3000]
    half = RetryPolicy(first_delay_ms=100, max_delay_ms=30_000, jitter=Jitter.HALF)
    for n in range(1, 12):
        ceiling = min(30_000, 100 * 2 ** (n - 1))
        assert all(ceiling / 2 <= half.delay_ms(n) <= ceiling for _ in range(50))
    full = RetryPolicy(first_delay_ms=200, max_delay_ms=24 * 3600 * 1000, jitter=Jitter.FULL)
    for n in range(1, 6):
        waits = [full.delay_ms(n) for _ in range(200)]
        assert min(waits) >= 0 and max(waits) <= 200 << (n - 1) and max(waits) > (200 << (n - 1)) / 2
    assert full.delay_ms(1000) <= 24 * 3600 * 1000
    assert RetryPolicy(first_delay_ms=0).delay_ms(7) == 0


def test_kafka_connect_delays_double_from_300_ms_then_fall_below_the_maximum() -> None:
    policy = RetryPolicy.kafka_connect(retry_timeout_ms=-1, retry_delay_max_ms=1000)
    assert [policy.delay_ms(n) for n in (1, 2)] == [300, 600]
    assert all(0 <= policy.delay_ms(3) < 1000 for _ in range(100))  # 1200 > max: a uniform wait below it
    assert policy.timeout_ms is None and policy.max_retries is None


def test_retried_until_success_with_logged_waits(caplog: pytest.LogCaptureFixture) -> None:
    waits: list[float] = []
    operation = failing(RetriableError("busy"), RetriableError("busy"), "ok")
    policy = RetryPolicy.kafka_connect(retry_timeout_ms=60_000, retry_delay_max_ms=1000)
    with caplog.at_level(logging.WARNING):
        assert policy.run(operation, connector="c", what="stage TASK_PUT", sleep=waits.append) == "ok"
    assert waits == [0.3, 0.6]
    assert [r.getMessage() for r in caplog.records] == [
        "Connector 'c': stage TASK_PUT failed (attempt 1), retrying in 300 ms: RetriableError: busy",
        "Connector 'c': stage TASK_PUT failed (attempt 2), retrying in 600 ms: RetriableError: busy"]


def test_permanent_failures_are_raised_at_once() -> None:
    error = ValueError("not retriable")
    operation = failing(error)
    with pytest.raises(ValueError) as info:
        RetryPolicy(first_delay_ms=1, max_retries=5).run(operation, connector="c", what="x", sleep=lambda _: None)
    assert info.value is error and operation.calls == 1  # type: ignore[attr-defined]


def test_retries_run_out_after_max_retries() -> None:
    waits: list[float] = []
    operation = failing(*(OSError(f"down {i}") for i in range(5)))
    policy = RetryPolicy(first_delay_ms=10, max_retries=2, multiplier=1, jitter=Jitter.NONE, retriable=lambda e: True)
    with pytest.raises(RetriesExhausted) as info:
        policy.run(operation, connector="c", what="upload", describe=lambda e: "[shown]", sleep=waits.append)
    out = info.value
    assert (out.attempts, str(out.last), waits) == (3, "down 2", [0.01, 0.01])
    assert out.__cause__ is out.last and str(out) == "Connector 'c': upload failed after 3 attempt(s): [shown]"


def test_zero_retries_and_a_zero_timeout_try_once() -> None:
    for policy in (RetryPolicy(first_delay_ms=1, max_retries=0), RetryPolicy.kafka_connect(0, 60_000)):
        operation = failing(RetriableError("x"))
        with pytest.raises(RetriesExhausted) as info:
            policy.run(operation, connector="c", what="x", sleep=lambda _: pytest.fail("no wait"))
        assert info.value.attempts == 1 and operation.calls == 1  # type: ignore[attr-defined]


def test_waits_never_pass_the_deadline() -> None:
    waits: list[float] = []
    policy = RetryPolicy(first_delay_ms=10_000, timeout_ms=50, multiplier=1, jitter=Jitter.NONE)
    operation = failing(RetriableError("a"), "ok")
    assert policy.run(operation, connector="c", what="x", sleep=waits.append) == "ok"
    assert len(waits) == 1 and waits[0] <= 0.05


def test_a_first_failure_counts_as_the_first_attempt(caplog: pytest.LogCaptureFixture) -> None:
    policy = RetryPolicy(first_delay_ms=1, max_retries=1, jitter=Jitter.NONE)
    operation = failing(RetriableError("again"))
    with caplog.at_level(logging.WARNING), pytest.raises(RetriesExhausted) as info:
        policy.run(operation, connector="c", what="write", first_failure=RetriableError("in the pool"),
                   sleep=lambda _: None)
    assert info.value.attempts == 2 and operation.calls == 1  # type: ignore[attr-defined]
    assert "write failed (attempt 1 of 2), retrying in 1 ms: RetriableError: in the pool" in caplog.text
    permanent = KeyError("k")
    with pytest.raises(KeyError) as raised:
        policy.run(failing(), connector="c", what="write", first_failure=permanent)
    assert raised.value is permanent


def _stage(*outcomes: object) -> Callable[[Record], object]:
    """A stage's per-record work: `outcomes` in turn, failures raised as the stages raise them."""
    operation = failing(*outcomes)

    def one(record: Record) -> object:
        try:
            return operation()
        except Exception as exc:
            raise StageError(Stage.TRANSFORMATION, "t", exc) from exc

    return one


def test_stage_retries_follow_errors_retry_and_raise_the_last_failure_itself() -> None:
    record = Record("t", None, 1)
    patient = ErrorReporter("c", ErrorPolicy(retry_timeout_ms=60_000, retry_delay_max_ms=1))
    assert _attempt(patient, _stage(RetriableError("busy"), "ok"), record) == "ok"
    with pytest.raises(StageError) as info:
        _attempt(ErrorReporter("c", ErrorPolicy(retry_timeout_ms=0)), _stage(RetriableError("busy")), record)
    assert isinstance(info.value.cause, RetriableError)
    other = ValueError("bad record")
    with pytest.raises(StageError) as raised:
        _attempt(patient, _stage(other), record)
    assert raised.value.cause is other
