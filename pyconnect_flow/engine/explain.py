"""Turning an exception out of a Bytewax run into the clear message a user should read."""

from __future__ import annotations

from pathlib import Path

from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.engine.recovery import RecoveryStoreError, store_failure


def root_cause(exc: BaseException) -> BaseException:
    """The first `ConnectException` in the cause chain, else the innermost exception."""
    seen = set()
    current: BaseException | None = exc
    last = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectException):
            return current
        last = current
        current = current.__cause__ or current.__context__
    return last


def explain(exc: BaseException, store: tuple[str | Path, str] | None = None) -> str:
    """One readable message for an exception raised while running a flow.

    A failure of the Bytewax recovery store (a Rust panic on a SQLite error) becomes a
    `RecoveryStoreError` message: the store's path and setting when `store` gives them, and how
    to start again.
    """
    cause = root_cause(exc)
    if isinstance(cause, ConnectException):
        return str(cause)
    problem = store_failure(cause)
    if problem is not None:
        path, setting = store if store is not None else (None, None)
        return str(RecoveryStoreError(path, setting, problem))
    return f"{type(cause).__name__}: {cause}"
