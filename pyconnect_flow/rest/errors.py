"""Errors as Kafka Connect's REST API answers them: `{"error_code": <HTTP status>, "message": "…"}`.

Every failure becomes such a body: the herder's refusals with their status (404 unknown, 409 exists,
400 invalid), routes and methods that do not exist (Jersey's "HTTP 404 Not Found" text), and anything
unexpected as a 500 whose message is the error's text, never a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pyconnect_flow.config.properties import ConfigFileError
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.runtime.herder import HerderError
from pyconnect_flow.runtime.offsets import OffsetsRequestError

log = logging.getLogger(__name__)


class RestError(Exception):
    """A request answered with `status` and `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": status, "message": message}, status_code=status)


def to_response(request: Request, exc: Exception) -> Response:
    """The error body for an exception a route raised."""
    if isinstance(exc, RestError):
        return error_response(exc.status, exc.message)
    if isinstance(exc, HerderError):
        return error_response(exc.status, str(exc))
    if isinstance(exc, (OffsetsRequestError, ConfigFileError)):
        return error_response(400, str(exc))
    if isinstance(exc, ConnectException):
        # Failures of the worker's own calls (Kafka unreachable, a store that cannot be read): their message.
        log.warning("%s %s failed: %s", request.method, request.url.path, exc)
        return error_response(500, str(exc))
    log.error("%s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return error_response(500, f"{type(exc).__name__}: {exc}")


async def http_error(request: Request, exc: Exception) -> Response:
    """Routing failures (no such path, method not allowed) with Jersey's messages."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code)
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = ""
    return error_response(exc.status_code, f"HTTP {exc.status_code} {phrase}".strip())


EXCEPTION_HANDLERS = {HTTPException: http_error}
