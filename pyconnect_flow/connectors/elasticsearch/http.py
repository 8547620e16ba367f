"""HTTP to Elasticsearch over urllib3: several nodes, basic auth, TLS, proxy, timeouts, gzip.

`EsHttp.request` sends one request to the next live node (round robin) and fails over to the
others on connection errors; HTTP statuses are returned, never raised, so callers decide what
is retriable. TLS verification is on unless `elastic.https.ssl.endpoint.identification.algorithm`
is set empty (hostname check off, as Confluent). Credentials never appear in messages: URLs are
shown without their user-info and the Authorization header is never logged.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import logging
import ssl
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pyconnect_flow.connectors.elasticsearch.config import EsSinkSettings, _safe_url
from pyconnect_flow.errors import RetriableError

log = logging.getLogger(__name__)

_DEAD_SECONDS = 5.0


class EsConnectionError(RetriableError):
    """No node answered (connection refused, reset, timeout): worth another attempt."""


@dataclass(frozen=True)
class EsResponse:
    """Status and raw body of one answer."""

    status: int
    data: bytes


class _Node:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url if "://" in url else "http://" + url)
        self.scheme = parts.scheme or "http"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.scheme == "https" else 9200)
        self.prefix = parts.path.rstrip("/")
        self.shown = _safe_url(url)
        self.dead_until = 0.0


def _ssl_context(settings: EsSinkSettings) -> ssl.SSLContext:
    """A verifying client context from the `elastic.https.ssl.*` keys (PEM files or PEM text)."""
    opts = {k.removeprefix("ssl."): v for k, v in settings.ssl_options.items()}
    ctx = ssl.create_default_context()
    trust = opts.get("truststore.location") or ""
    trust_pem = opts.get("truststore.certificates") or ""
    if trust or trust_pem:
        ctx = ssl.create_default_context(cafile=trust or None, cadata=trust_pem or None)
    keystore = opts.get("keystore.location") or ""
    chain_pem, key_pem = opts.get("keystore.certificate.chain") or "", opts.get("keystore.key") or ""
    key_password = opts.get("key.password") or opts.get("keystore.password") or None
    if keystore:
        ctx.load_cert_chain(keystore, password=key_password)
    elif chain_pem and key_pem:
        with tempfile.NamedTemporaryFile("w", suffix=".pem") as f:  # ssl loads chains from files only
            f.write(chain_pem + "\n" + key_pem)
            f.flush()
            ctx.load_cert_chain(f.name, password=key_password)
    if opts.get("endpoint.identification.algorithm", "https") == "":
        ctx.check_hostname = False
    protocols = [p.strip() for p in (opts.get("enabled.protocols") or "").split(",") if p.strip()]
    versions = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
    if protocols and all(p in versions for p in protocols):
        ctx.minimum_version = min(versions[p] for p in protocols)
    ciphers = opts.get("cipher.suites") or ""
    if ciphers:
        ctx.set_ciphers(ciphers.replace(",", ":"))
    return ctx


class EsHttp:
    """A pool of connections to the configured Elasticsearch nodes, safe to share between threads."""

    def __init__(self, settings: EsSinkSettings) -> None:
        import urllib3

        self.settings = settings
        self._nodes = [_Node(u) for u in settings.urls]
        # Confluent: HTTPS for every node when any URL says https.
        if any(n.scheme == "https" for n in self._nodes):
            for n in self._nodes:
                n.scheme = "https"
        self._next = itertools.count()
        self._max_idle = settings.max_idle_ms / 1000 if settings.max_idle_ms >= 0 else None
        self._last_used = time.monotonic()
        connect = settings.connection_timeout_ms / 1000 or None
        read = settings.read_timeout_ms / 1000 or None
        self.timeout = urllib3.Timeout(connect=connect, read=read)
        self.headers: dict[str, str] = {"Content-Type": "application/json", "Accept": "application/json"}
        user, password = settings.username, settings.password
        if user is not None and password is not None:
            self.headers["Authorization"] = _basic(user, password.value)
        if settings.compression:
            self.headers["Accept-Encoding"] = "gzip"
        pool: dict[str, Any] = {"maxsize": max(10, 2 * settings.max_in_flight), "block": False, "retries": False,
                                "timeout": self.timeout}
        if self._nodes[0].scheme == "https":
            pool["ssl_context"] = _ssl_context(settings)
        if settings.proxy_host:
            proxy_headers = None
            if settings.proxy_username and settings.proxy_password is not None:
                proxy_headers = urllib3.make_headers(
                    proxy_basic_auth=f"{settings.proxy_username}:{settings.proxy_password.value}")
            self._pool: Any = urllib3.ProxyManager(f"http://{settings.proxy_host}:{settings.proxy_port}",
                                                   proxy_headers=proxy_headers, **pool)
        else:
            self._pool = urllib3.PoolManager(**pool)

    def describe(self) -> str:
        """The node URLs, without credentials (for messages)."""
        return ", ".join(n.shown for n in self._nodes)

    def _order(self) -> list[_Node]:
        start = next(self._next) % len(self._nodes)
        nodes = self._nodes[start:] + self._nodes[:start]
        now = time.monotonic()
        live = [n for n in nodes if n.dead_until <= now]
        return live + [n for n in nodes if n.dead_until > now]

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None, timeout: Any = None) -> EsResponse:
        """Send one request; the answer of the first node that answers, whatever its status."""
        import urllib3

        all_headers = dict(self.headers)
        if headers:
            all_headers.update(headers)
        if body is not None and self.settings.compression:
            body = gzip.compress(body, compresslevel=1)
            all_headers["Content-Encoding"] = "gzip"
        now = time.monotonic()
        if self._max_idle is not None and now - self._last_used > self._max_idle:
            # max.connection.idle.time.ms: drop connections a proxy or load balancer may have closed.
            self._pool.clear()
        self._last_used = now
        last: Exception | None = None
        for node in self._order():
            url = f"{node.scheme}://{node.host}:{node.port}{node.prefix}{path}"
            try:
                response = self._pool.request(method, url, body=body, headers=all_headers,
                                              timeout=timeout or self.timeout, retries=False, preload_content=True)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                node.dead_until = time.monotonic() + _DEAD_SECONDS
                last = exc
                log.debug("Elasticsearch node %s failed: %s", node.shown, type(exc).__name__)
                continue
            node.dead_until = 0.0
            return EsResponse(response.status, response.data)
        # urllib3's messages name host and port only, never the Authorization header.
        raise EsConnectionError(f"No Elasticsearch node answered ({self.describe()}): {_reason(last)}")

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _reason(exc: Exception | None) -> str:
    if exc is None:
        return "no node"
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__}: {reason or exc}"
