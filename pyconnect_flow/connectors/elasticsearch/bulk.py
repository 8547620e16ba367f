"""Sending `_bulk` requests: whole-request retries, per-item retries, and sorting out item failures.

`BulkSender.send(items)` posts the items' pre-encoded NDJSON and returns only what could not be
written. Retried, with exponential backoff and full jitter (a uniform wait in
`[0, retry.backoff.ms << attempt)`, Confluent's RetryUtil) for up to `max.retries` retries:

- the whole request, on connection errors, timeouts, HTTP 408, 429 and 5xx;
- single items answering 429 or 5xx (e.g. `es_rejected_execution_exception`), and version
  conflicts of upserts (a concurrent writer won the race: applying the update again is right).
  In upsert mode, later items of the same document are re-sent with a retried one, so the
  document's updates still apply in record order.

Not retried, and returned as `ItemFailure`s: malformed documents (mapping and parse errors),
and any other item error. A version conflict of an `external`-versioned action means the
document already holds a newer (or the same) Kafka offset and counts as written.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from pyconnect_flow.connectors.elasticsearch.documents import BulkItem
from pyconnect_flow.connectors.elasticsearch.http import EsConnectionError, EsHttp
from pyconnect_flow.data.exceptions import ConnectException

log = logging.getLogger(__name__)

MALFORMED_ERRORS = (
    "strict_dynamic_mapping_exception",
    "mapper_parsing_exception",
    "illegal_argument_exception",
    "action_request_validation_exception",
    "document_parsing_exception",
)
VERSION_CONFLICT = "version_conflict_engine_exception"
_MAX_WAIT_MS = 24 * 3600 * 1000
_NDJSON = {"Content-Type": "application/x-ndjson"}


class BulkRequestError(ConnectException):
    """A bulk request failed for good: retries ran out, or Elasticsearch refused the request as a whole."""


@dataclass(frozen=True)
class ItemFailure:
    """One item Elasticsearch did not write, and why."""

    item: BulkItem
    status: int
    error_type: str
    reason: str
    kind: str
    """"malformed", "conflict" (a version conflict without external versioning) or "failed"."""

    def message(self) -> str:
        return f"Indexing failed: [{self.error_type}] {self.reason} (status {self.status})"


def backoff_ms(attempt: int, initial_ms: int) -> float:
    """Wait before retry `attempt` (1 = first retry): uniform in [0, min(initial << attempt, 24 h))."""
    if initial_ms <= 0:
        return 0.0
    ceiling = _MAX_WAIT_MS if attempt > 32 else min(_MAX_WAIT_MS, initial_ms << attempt)
    return random.uniform(0, ceiling)


def error_chain(error: Any) -> tuple[list[str], str]:
    """The error types of an item error and its causes, and its top reason."""
    types: list[str] = []
    reason = ""
    node = error
    while isinstance(node, dict):
        types.append(str(node.get("type", "")))
        if not reason:
            reason = str(node.get("reason", ""))
        node = node.get("caused_by")
    if isinstance(error, str):
        return [error], error
    return types, reason


def classify(error: Any) -> str:
    """"malformed", "conflict" or "failed" for an item error (malformed as Confluent's substring match)."""
    types, reason = error_chain(error)
    text = " ".join(types) + " " + reason
    if any(e in text for e in MALFORMED_ERRORS):
        return "malformed"
    if VERSION_CONFLICT in text:
        return "conflict"
    return "failed"


class BulkSender:
    """Posts bulk requests for one connector, retrying what may succeed later."""

    def __init__(self, http: EsHttp, *, max_retries: int, retry_backoff_ms: int, upsert: bool,
                 connector: str = "elasticsearch", sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.max_retries = max_retries
        self.retry_backoff_ms = retry_backoff_ms
        self.upsert = upsert
        self.connector = connector
        self.sleep = sleep

    def _wait(self, attempt: int, what: str) -> None:
        wait = backoff_ms(attempt, self.retry_backoff_ms)
        log.warning("Connector '%s': %s; retry %d of %d in %.0f ms", self.connector, what, attempt,
                    self.max_retries, wait)
        self.sleep(wait / 1000)

    def _post(self, items: list[BulkItem], attempt: int) -> tuple[dict[str, Any] | None, int]:
        """The parsed answer (None when every item succeeded), retrying the request as a whole."""
        body = b"".join([i.data for i in items])
        while True:
            try:
                response = self.http.request("POST", "/_bulk", body, _NDJSON)
                problem = None if response.status < 300 else f"HTTP {response.status}"
                if response.status in (408, 429) or response.status >= 500:
                    problem = f"bulk request answered {_describe(response.status, response.data)}"
                elif response.status >= 300:
                    raise BulkRequestError(
                        f"Connector '{self.connector}': Elasticsearch refused a bulk request of {len(items)} "
                        f"actions: {_describe(response.status, response.data)}")
            except EsConnectionError as exc:
                problem = str(exc)
            if problem is None:
                data = response.data
                if b'"errors":false' in data:
                    return None, attempt
                return orjson.loads(data), attempt
            attempt += 1
            if attempt > self.max_retries:
                raise BulkRequestError(f"Connector '{self.connector}': failed to execute bulk request due to "
                                       f"'{problem}' after {attempt} attempt(s)")
            self._wait(attempt, problem)

    def send(self, items: list[BulkItem]) -> list[ItemFailure]:
        """Write `items`; what failed for good (item errors that no retry can fix)."""
        failures: list[ItemFailure] = []
        pending = items
        attempt = 0
        while pending:
            answer, attempt = self._post(pending, attempt)
            if answer is None:
                return failures
            results = answer.get("items") or []
            if len(results) != len(pending):
                raise BulkRequestError(f"Connector '{self.connector}': bulk answer has {len(results)} items for "
                                       f"{len(pending)} actions")
            retry: list[BulkItem] = []
            retry_ids: set[str] = set()
            last_retry: tuple[int, str] | None = None
            for item, result in zip(pending, results):
                outcome = next(iter(result.values())) if result else {}
                error = outcome.get("error")
                if error is None:
                    if self.upsert and item.doc_id in retry_ids:
                        retry.append(item)  # keep the document's updates in record order
                    continue
                status = int(outcome.get("status") or 0)
                kind = classify(error)
                types, reason = error_chain(error)
                if kind == "conflict" and item.external:
                    continue  # the document already holds this or a newer offset
                if status == 429 or status >= 500 or (kind == "conflict" and item.op == "update"):
                    retry.append(item)
                    if item.doc_id is not None:
                        retry_ids.add(item.doc_id)
                    last_retry = (status, f"[{types[0] if types else ''}] {reason}")
                    continue
                failures.append(ItemFailure(item, status, types[0] if types else "", reason, kind))
            if not retry:
                return failures
            attempt += 1
            if attempt > self.max_retries:
                status, what = last_retry or (0, "")
                raise BulkRequestError(f"Connector '{self.connector}': {len(retry)} bulk items still failed after "
                                       f"{attempt} attempt(s): {what} (status {status})")
            self._wait(attempt, f"{len(retry)} of {len(pending)} bulk items failed, e.g. {last_retry}")
            pending = retry
        return failures


def _describe(status: int, data: bytes) -> str:
    """`HTTP 503 [type] reason` from an error answer (never the request body)."""
    try:
        body = orjson.loads(data)
        error = body.get("error") if isinstance(body, dict) else None
        types, reason = error_chain(error)
        if types:
            return f"HTTP {status} [{types[0]}] {reason[:300]}"
    except orjson.JSONDecodeError:
        pass
    return f"HTTP {status}"
