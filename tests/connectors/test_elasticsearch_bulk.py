"""Sorting bulk item errors and the retry backoff (the HTTP side is tested against a fault proxy)."""

from __future__ import annotations

import random

import pytest

from pyconnect_flow.connectors.elasticsearch.bulk import classify, error_chain
from pyconnect_flow.connectors.elasticsearch.config import EsSinkSettings


@pytest.mark.parametrize(("error", "kind"), [
    ({"type": "document_parsing_exception", "reason": "failed to parse field [n]",
      "caused_by": {"type": "illegal_argument_exception", "reason": "For input string"}}, "malformed"),
    ({"type": "mapper_parsing_exception", "reason": "x"}, "malformed"),
    ({"type": "strict_dynamic_mapping_exception", "reason": "x"}, "malformed"),
    ({"type": "action_request_validation_exception", "reason": "x"}, "malformed"),
    ({"type": "version_conflict_engine_exception", "reason": "[k]: version conflict"}, "conflict"),
    ({"type": "es_rejected_execution_exception", "reason": "queue full"}, "failed"),
    ({"type": "cluster_block_exception", "reason": "read-only"}, "failed"),
    ({"type": "wrapper", "reason": "r", "caused_by": {"type": "illegal_argument_exception", "reason": "x"}},
     "malformed"),
])
def test_classify_item_errors(error: dict[str, object], kind: str) -> None:
    assert classify(error) == kind


def test_error_chain_reads_causes_and_plain_strings() -> None:
    assert error_chain({"type": "a", "reason": "top", "caused_by": {"type": "b", "reason": "low"}}) == (
        ["a", "b"], "top")
    assert error_chain("mapper_parsing_exception: boom") == (["mapper_parsing_exception: boom"],
                                                             "mapper_parsing_exception: boom")


def test_backoff_is_full_jitter_exponential_and_capped() -> None:
    random.seed(1)
    retry = EsSinkSettings(urls=("http://x",), retry_backoff_ms=100, max_retries=5).retry
    assert retry.max_retries == 5
    for attempt in range(1, 6):
        waits = [retry.delay_ms(attempt) for _ in range(200)]
        assert 0 <= min(waits) and max(waits) < 100 << attempt
        assert max(waits) > (100 << attempt) / 2  # spread over the whole range
    assert EsSinkSettings(urls=("http://x",), retry_backoff_ms=0).retry.delay_ms(3) == 0
    assert retry.delay_ms(40) <= 24 * 3600 * 1000
