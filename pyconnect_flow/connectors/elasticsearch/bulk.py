"""Sending `_bulk` requests: whole-request retries, per-item retries, and sorting out item failures.

`BulkSender.send(items)` posts the items' pre-encoded NDJSON and returns only what could not be
written. Retried through the sink's `RetryPolicy` (`EsSinkSettings.retry`: exponential backoff with
full jitter, a uniform wait in `[0, retry.backoff.ms << attempt)`, Confluent's RetryUtil) for up to
`max.retries` retries, one count for both kinds:

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
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from pyconnect_flow.connectors.elasticsearch.documents import BulkItem
from pyconnect_flow.connectors.elasticsearch.http import EsHttp
from pyconnect_flow.contract.retry import RetriesExhausted, RetryPolicy
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.errors import RetriableError

log = logging.getLogger(__name__)

MALFORMED_ERRORS = (
    "strict_dynamic_mapping_exception",
    "mapper_parsing_exception",
    "illegal_argument_exception",
    "action_request_validation_exception",
    "document_parsing_exception",
)
VERSION_CONFLICT = "version_conflict_engine_exception"
_NDJSON = {"Content-Type": "application/x-ndjson"}


class BulkRequestError(ConnectException):
    """A bulk request failed for good: retries ran out, or Elasticsearch refused the request as a whole."""


class _ItemsFailed(RetriableError):
    """Some items of a bulk request answered an error that sending them again may get past."""

    def __init__(self, count: int, sent: int, example: str) -> None:
        super().__init__(f"{count} of {sent} bulk items failed, e.g. {example}")
        self.count = count
        self.example = example


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

    def __init__(self, http: EsHttp, *, retry: RetryPolicy, upsert: bool, connector: str = "elasticsearch",
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.retry = retry
        self.upsert = upsert
        self.connector = connector
        self.sleep = sleep

    def send(self, items: list[BulkItem]) -> list[ItemFailure]:
        """Write `items`; what failed for good (item errors that no retry can fix)."""
        failures: list[ItemFailure] = []
        pending, body = items, b"".join([i.data for i in items])

        def attempt() -> None:
            nonlocal pending, body
            answer = self._post(pending, body)
            if answer is None:
                return
            retry, example = self._sort(pending, answer, failures)
            if retry:
                sent, pending, body = len(pending), retry, b"".join([i.data for i in retry])
                raise _ItemsFailed(len(retry), sent, example)

        try:
            self.retry.run(attempt, connector=self.connector, what="bulk request", describe=str, sleep=self.sleep)
        except RetriesExhausted as out:
            last = out.last
            if isinstance(last, _ItemsFailed):
                raise BulkRequestError(f"Connector '{self.connector}': {last.count} bulk items still failed after "
                                       f"{out.attempts} attempt(s): {last.example}") from None
            raise BulkRequestError(f"Connector '{self.connector}': failed to execute bulk request due to '{last}' "
                                   f"after {out.attempts} attempt(s)") from None
        return failures

    def _post(self, items: list[BulkItem], body: bytes) -> dict[str, Any] | None:
        """The parsed answer (None when every item succeeded); RetriableError when the whole request may be
        sent again (connection errors, timeouts, HTTP 408, 429, 5xx)."""
        response = self.http.request("POST", "/_bulk", body, _NDJSON)  # EsConnectionError is retriable
        if response.status in (408, 429) or response.status >= 500:
            raise RetriableError(f"bulk request answered {_describe(response.status, response.data)}")
        if response.status >= 300:
            raise BulkRequestError(f"Connector '{self.connector}': Elasticsearch refused a bulk request of "
                                   f"{len(items)} actions: {_describe(response.status, response.data)}")
        data = response.data
        return None if b'"errors":false' in data else orjson.loads(data)

    def _sort(self, pending: list[BulkItem], answer: dict[str, Any],
              failures: list[ItemFailure]) -> tuple[list[BulkItem], str]:
        """The items to send again (and an example of their errors); adds the items that failed for good to
        `failures`."""
        results = answer.get("items") or []
        if len(results) != len(pending):
            raise BulkRequestError(f"Connector '{self.connector}': bulk answer has {len(results)} items for "
                                   f"{len(pending)} actions")
        retry: list[BulkItem] = []
        retry_ids: set[str] = set()
        example = ""
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
                example = f"[{types[0] if types else ''}] {reason} (status {status})"
                continue
            failures.append(ItemFailure(item, status, types[0] if types else "", reason, kind))
        return retry, example


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
