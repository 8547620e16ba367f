"""Turning an exception out of a Bytewax run into the clear message a user should read."""

from __future__ import annotations

from pyconnect_flow.data.exceptions import ConnectException


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


def explain(exc: BaseException) -> str:
    """One readable message for an exception raised while running a flow."""
    cause = root_cause(exc)
    if isinstance(cause, ConnectException):
        return str(cause)
    return f"{type(cause).__name__}: {cause}"
