"""Retries and failures of the Elasticsearch sink, injected by a real HTTP proxy in front of Elasticsearch."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyconnect_flow.connectors.elasticsearch.bulk import BulkRequestError
from pyconnect_flow.connectors.elasticsearch.sink import ElasticsearchSinkError
from pyconnect_flow.errors import ConnectorTaskError
from pyconnect_flow.record import Record
from tests.integration.es_helpers import (
    CollectingDeadLetters,
    FaultProxy,
    documents,
    make_sink,
    self_signed_certificate,
    write_all,
)

FAST = {"retry.backoff.ms": "1", "schema.ignore": "true"}


@pytest.fixture
def proxy(elasticsearch) -> Iterator[FaultProxy]:
    p = FaultProxy(elasticsearch.url)
    yield p
    p.close()


def records(topic: str, n: int, start: int = 0) -> list[Record]:
    return [Record(topic, f"k{i}", {"i": i}, 0, i) for i in range(start, start + n)]


@pytest.mark.parametrize("status", [429, 503])
def test_whole_request_throttled_then_accepted(proxy: FaultProxy, elasticsearch, unique_name: str,
                                               status: int) -> None:
    sink = make_sink(unique_name, {"connection.url": proxy.url, "max.retries": "2", **FAST})
    proxy.fail_requests(status, status)
    write_all(sink, records(unique_name, 20))
    assert proxy.bulk_requests == 3  # max.retries=2: three attempts, as Confluent's network IT
    assert len(documents(elasticsearch.url, unique_name)) == 20


def test_whole_request_retries_run_out(proxy: FaultProxy, unique_name: str) -> None:
    sink = make_sink(unique_name, {"connection.url": proxy.url, "max.retries": "2", **FAST})
    proxy.fail_requests(503, 503, 503)
    with pytest.raises(BulkRequestError, match=r"HTTP 503 \[injected\].*after 3 attempt\(s\)"):
        write_all(sink, records(unique_name, 5))
    assert proxy.bulk_requests == 3


def test_throttled_items_are_retried_alone(proxy: FaultProxy, elasticsearch, unique_name: str) -> None:
    sink = make_sink(unique_name, {"connection.url": proxy.url, "max.retries": "3", **FAST})
    proxy.reject_items({"k1", "k5"}, status=429, times=2)
    writer = write_all(sink, records(unique_name, 10))
    assert proxy.item_attempts["k1"] == proxy.item_attempts["k5"] == 3
    assert proxy.item_attempts["k0"] == 1
    assert writer.written == 10
    assert documents(elasticsearch.url, unique_name) == {f"k{i}": {"i": i} for i in range(10)}


def test_item_retries_run_out(proxy: FaultProxy, unique_name: str) -> None:
    sink = make_sink(unique_name, {"connection.url": proxy.url, "max.retries": "1", **FAST})
    proxy.reject_items({"k2"}, status=503, error_type="unavailable_shards_exception", times=5)
    with pytest.raises(BulkRequestError, match=r"still failed after 2 attempt\(s\).*unavailable_shards_exception"):
        write_all(sink, records(unique_name, 4))


def test_upsert_conflicts_are_retried_in_record_order(proxy: FaultProxy, elasticsearch, unique_name: str) -> None:
    sink = make_sink(unique_name, {"connection.url": proxy.url, "write.method": "upsert", **FAST})
    # The first update of k1 conflicts once; the later update of k1 in the same request went through,
    # so it is sent again after the retried one and the document ends as the records say.
    proxy.reject_items({"k1"}, status=409, error_type="version_conflict_engine_exception", times=1)
    batch = [Record(unique_name, "k1", {"v": 1, "first": True}, 0, 0),
             Record(unique_name, "k2", {"v": 1}, 0, 1),
             Record(unique_name, "k1", {"v": 2}, 0, 2)]
    write_all(sink, batch)
    assert proxy.item_attempts["k1"] == 4 and proxy.item_attempts["k2"] == 1
    assert documents(elasticsearch.url, unique_name) == {"k1": {"v": 2, "first": True}, "k2": {"v": 1}}


def test_external_version_conflicts_count_as_written(proxy: FaultProxy, unique_name: str) -> None:
    sink = make_sink(unique_name, {"connection.url": proxy.url, **FAST})
    proxy.reject_items({"k0"}, status=409, error_type="version_conflict_engine_exception", times=1)
    writer = write_all(sink, records(unique_name, 3))
    assert proxy.item_attempts["k0"] == 1
    assert writer.written == 3


def test_other_item_errors_fail_the_task_after_the_dead_letter_queue(proxy: FaultProxy, unique_name: str) -> None:
    proxy.reject_items({"k1"}, status=400, error_type="cluster_block_exception", times=9)
    with pytest.raises(ConnectorTaskError, match="cluster_block_exception"):
        write_all(make_sink(unique_name, {"connection.url": proxy.url, **FAST}), records(unique_name, 3))
    dlq = CollectingDeadLetters()
    sink = make_sink(unique_name, {"connection.url": proxy.url, **FAST}, tolerance="all", dead_letters=dlq)
    with pytest.raises(ElasticsearchSinkError, match="offset=1 failed"):
        write_all(sink, records(unique_name, 3))
    assert [f.original.offset for f in dlq.sent] == [1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_cluster_fails_without_leaking_credentials(unique_name: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    config = {"connection.url": url, "connection.username": "elastic", "connection.password": "s3cr3t-pw",
              "max.retries": "1", **FAST}
    sink = make_sink(unique_name, config)
    with pytest.raises(ElasticsearchSinkError) as preflight:
        sink.preflight()
    with pytest.raises(ElasticsearchSinkError) as writing:
        write_all(sink, records(unique_name, 2))
    for error in (preflight.value, writing.value):
        assert "s3cr3t-pw" not in str(error) and url in str(error)
    assert "s3cr3t-pw" not in repr(sink.settings)


def test_fails_over_to_the_next_url(proxy: FaultProxy, elasticsearch, unique_name: str) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}"
    sink = make_sink(unique_name, {"connection.url": f"{dead},{proxy.url}/", "max.retries": "0", **FAST})
    sink.preflight()
    write_all(sink, records(unique_name, 6))
    write_all(sink, records(unique_name, 6, start=6))
    assert len(documents(elasticsearch.url, unique_name)) == 12


def test_tls_verifies_the_server_against_the_truststore(elasticsearch, tmp_path: Path, unique_name: str) -> None:
    cert, key = self_signed_certificate(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    proxy = FaultProxy(elasticsearch.url, tls=tls)
    try:
        # Verification is on by default: a server the system trust store does not know is refused.
        untrusted = make_sink(unique_name, {"connection.url": proxy.url, "max.retries": "0", **FAST})
        with pytest.raises(ElasticsearchSinkError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            untrusted.preflight()
        trusted = make_sink(unique_name, {"connection.url": proxy.url, "elastic.security.protocol": "SSL",
                                          "elastic.https.ssl.truststore.location": str(cert),
                                          "elastic.https.ssl.truststore.type": "PEM", **FAST})
        trusted.preflight()
        write_all(trusted, records(unique_name, 3))
        assert len(documents(elasticsearch.url, unique_name)) == 3
    finally:
        proxy.close()
