"""Helpers for the Elasticsearch sink tests: a fault-injecting HTTP proxy, sinks built from configs, queries."""

from __future__ import annotations

import ssl
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import urllib3

from pyconnect_flow.config.definition import ConfigDef, ParsedConfig
from pyconnect_flow.connectors.elasticsearch import ElasticsearchSinkConnector
from pyconnect_flow.connectors.elasticsearch.sink import ElasticsearchSink, ElasticsearchWriter
from pyconnect_flow.contract.connector import ConnectorContext
from pyconnect_flow.errors import ERRORS_CONFIG, ErrorPolicy, ErrorReporter
from pyconnect_flow.record import Record

_HTTP = urllib3.PoolManager(maxsize=20, retries=False)


class FaultProxy:
    """A real HTTP proxy on loopback in front of Elasticsearch that can fail requests or single bulk items.

    - `fail_requests(503, 503)`: the next two `_bulk` requests answer 503 (never forwarded);
    - `reject_items({"a", "b"}, status=429, times=2)`: bulk items with those ids are answered with
      that error (and not forwarded) the first `times` times they arrive; the rest is forwarded and
      the answers merged in order, as Elasticsearch answers a partly failed bulk request.
    """

    def __init__(self, upstream: str, tls: ssl.SSLContext | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.bulk_requests = 0
        self.item_attempts: Counter[str] = Counter()
        self._statuses: list[int] = []
        self._rejects: dict[str, int] = {}
        self._reject_status = 429
        self._reject_type = "es_rejected_execution_exception"
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                status, data = proxy._answer(self.command, self.path, body, dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://localhost:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def fail_requests(self, *statuses: int) -> None:
        with self._lock:
            self._statuses.extend(statuses)

    def reject_items(self, ids: Iterable[str], *, status: int = 429,
                     error_type: str = "es_rejected_execution_exception", times: int = 1) -> None:
        with self._lock:
            self._rejects.update({i: times for i in ids})
            self._reject_status, self._reject_type = status, error_type

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _forward(self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]) -> tuple[int, bytes]:
        keep = {k: v for k, v in headers.items() if k.lower() in ("content-type", "accept", "authorization")}
        response = _HTTP.request(method, self.upstream + path, body=body, headers=keep)
        return response.status, response.data

    def _answer(self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]) -> tuple[int, bytes]:
        if not path.startswith("/_bulk"):
            return self._forward(method, path, body, headers)
        with self._lock:
            self.bulk_requests += 1
            if self._statuses:
                status = self._statuses.pop(0)
                return status, orjson.dumps({"error": {"type": "injected", "reason": f"injected {status}"},
                                             "status": status})
        assert body is not None
        lines = body.split(b"\n")
        operations: list[tuple[str, str, bytes]] = []
        i = 0
        while i < len(lines):
            if not lines[i]:
                i += 1
                continue
            action = orjson.loads(lines[i])
            op = next(iter(action))
            doc_id = str(action[op].get("_id", ""))
            chunk = lines[i] + b"\n"
            i += 1
            if op != "delete":
                chunk += lines[i] + b"\n"
                i += 1
            operations.append((op, doc_id, chunk))
        rejected: list[bool] = []
        with self._lock:
            for _, doc_id, _ in operations:
                self.item_attempts[doc_id] += 1
                left = self._rejects.get(doc_id, 0)
                rejected.append(left > 0)
                if left > 0:
                    self._rejects[doc_id] = left - 1
            status_code, error_type = self._reject_status, self._reject_type
        forwarded = b"".join(chunk for (_, _, chunk), r in zip(operations, rejected) if not r)
        upstream_items: list[Any] = []
        if forwarded:
            status, data = self._forward(method, path, forwarded, headers)
            if status >= 300:
                return status, data
            upstream_items = orjson.loads(data)["items"]
        items = []
        upstream = iter(upstream_items)
        for (op, doc_id, _), r in zip(operations, rejected):
            if r:
                items.append({op: {"_id": doc_id, "status": status_code,
                                   "error": {"type": error_type, "reason": f"injected {error_type}"}}})
            else:
                items.append(next(upstream))
        errors = any("error" in next(iter(x.values())) for x in items)
        return 200, orjson.dumps({"took": 1, "errors": errors, "items": items})


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate (PEM) for `localhost`/127.0.0.1 and its key, made with `cryptography`."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class CollectingDeadLetters:
    """Stands in for the dead letter queue producer: keeps what the sink reported."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.flushes = 0

    def send(self, failed: Any) -> None:
        self.sent.append(failed)

    def flush(self) -> None:
        self.flushes += 1


def make_context(name: str, config: Mapping[str, Any], *, tolerance: str = "none",
                 dead_letters: CollectingDeadLetters | None = None) -> ConnectorContext:
    """A connector context for an Elasticsearch sink config, validated like the runtime validates it."""
    definition: ConfigDef = ElasticsearchSinkConnector.CONFIG.merged(ERRORS_CONFIG)
    raw = {k: str(v) for k, v in config.items()}
    values, issues = definition.check(raw, ignore_unknown=True)
    issues += ElasticsearchSinkConnector.validate_values(values, raw)
    assert not issues, issues
    policy = ErrorPolicy(tolerance=tolerance, dlq_topic="dlq" if dead_letters is not None else "")
    ctx = ConnectorContext(name, ParsedConfig(values, raw, definition), errors=ErrorReporter(name, policy))
    ctx.dead_letters = dead_letters
    return ctx


def make_sink(name: str, config: Mapping[str, Any], **kwargs: Any) -> ElasticsearchSink:
    ctx = make_context(name, config, **kwargs)
    sink = ElasticsearchSinkConnector(ctx).sink()
    assert isinstance(sink, ElasticsearchSink)
    return sink


def write_all(sink: ElasticsearchSink, records: list[Record], partition: str = "p-0") -> ElasticsearchWriter:
    writer = sink.open(partition, None)
    writer.write(records)
    writer.flush()
    return writer


def es_get(url: str, path: str) -> tuple[int, Any]:
    response = _HTTP.request("GET", url.rstrip("/") + path)
    return response.status, orjson.loads(response.data) if response.data else None


def refresh(url: str, index: str) -> None:
    _HTTP.request("POST", f"{url.rstrip('/')}/{index}/_refresh")


def documents(url: str, index: str) -> dict[str, Any]:
    """id → _source of every document of `index`."""
    refresh(url, index)
    response = _HTTP.request("POST", f"{url.rstrip('/')}/{index}/_search", body=orjson.dumps(
        {"size": 10000, "query": {"match_all": {}}}), headers={"Content-Type": "application/json"})
    hits = orjson.loads(response.data)["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def count(url: str, index: str) -> int:
    refresh(url, index)
    return int(es_get(url, f"/{index}/_count")[1]["count"])


def delete_index(url: str, index: str) -> None:
    _HTTP.request("DELETE", f"{url.rstrip('/')}/{index}")
