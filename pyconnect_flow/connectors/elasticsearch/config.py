"""The Elasticsearch sink's configuration: Confluent's keys, defaults and cross-key checks.

Declared once (`CONFIG`), as Confluent's `ElasticsearchSinkConnectorConfig` declares them, and read
into a typed, immutable `EsSinkSettings` for the rest of the package (its fields name their keys:
`config.definition.setting`). Enum values are
case-insensitive, as Confluent's `EnumRecommender` accepts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pyconnect_flow.config.definition import (
    ConfigDef,
    ConfigIssue,
    ConfigKey,
    ConfigType,
    Password,
    at_least,
    between,
    one_of,
    setting,
    settings_from,
)
from pyconnect_flow.contract.retry import Jitter, RetryPolicy

SSL_PREFIX = "elastic.https."
_DAY_MS = 24 * 3600 * 1000
_INT_MAX = (1 << 31) - 1


def _urls(value: Any) -> str | None:
    if not value:
        return "The config must be provided and non-null."
    for url in value:
        try:
            parts = urlsplit(url if "://" in url else "http://" + url)
            if not parts.hostname:
                raise ValueError(url)
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            return f"The provided url '{_safe_url(url)}' is not a valid url."
        if parts.username is not None or parts.password is not None:
            # Config values are printed (validate, logs): credentials belong in the password key.
            return (f"The url '{_safe_url(url)}' holds credentials; set connection.username and "
                    "connection.password instead")
    return None


def _safe_url(url: str) -> str:
    """`url` without any user:password part (for messages)."""
    scheme, sep, rest = url.rpartition("://")
    if "@" in rest.split("/", 1)[0]:
        rest = rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"


CONFIG = ConfigDef([
    # connector
    ConfigKey("connection.url", ConfigType.LIST, doc="Comma-separated Elasticsearch URLs, e.g. http://eshost1:9200.",
              validator=_urls, importance="high"),
    ConfigKey("connection.username", ConfigType.STRING, None, "Basic authentication user (with connection.password)."),
    ConfigKey("connection.password", ConfigType.PASSWORD, None, "Basic authentication password."),
    ConfigKey("batch.size", ConfigType.INT, 2000, "Records per bulk request.", validator=between(1, 1_000_000)),
    ConfigKey("bulk.size.bytes", ConfigType.LONG, 5 * 1024 * 1024,
              "Maximum bytes of one bulk request (-1: no limit).", validator=between(-1, _INT_MAX)),
    ConfigKey("max.in.flight.requests", ConfigType.INT, 5, "Concurrent bulk requests.", validator=between(1, 1000)),
    ConfigKey("max.buffered.records", ConfigType.INT, 20000, "Records buffered before writes block.",
              validator=between(1, _INT_MAX)),
    ConfigKey("linger.ms", ConfigType.LONG, 1, "How long a partial batch may wait for more records.",
              validator=between(0, 7 * _DAY_MS)),
    ConfigKey("flush.timeout.ms", ConfigType.LONG, 180000,
              "How long a flush, or a write waiting for buffer space, may take before the task fails.",
              validator=between(1000, 7 * _DAY_MS)),
    ConfigKey("flush.synchronously", ConfigType.BOOLEAN, False,
              "Accepted for compatibility: pyconnect-flow always flushes synchronously at the epoch boundary."),
    ConfigKey("max.retries", ConfigType.INT, 5, "Retries of a failed bulk request (or of throttled items).",
              validator=between(0, _INT_MAX)),
    ConfigKey("retry.backoff.ms", ConfigType.LONG, 100, "Initial backoff; doubles per attempt, with jitter.",
              validator=between(0, _DAY_MS)),
    ConfigKey("connection.compression", ConfigType.BOOLEAN, False, "Gzip request bodies."),
    ConfigKey("max.connection.idle.time.ms", ConfigType.INT, 60000, "Idle connections are dropped after this.",
              validator=between(-1, _DAY_MS)),
    ConfigKey("connection.timeout.ms", ConfigType.INT, 1000, "Timeout to establish a connection.",
              validator=between(0, 12 * 3600 * 1000)),
    ConfigKey("read.timeout.ms", ConfigType.INT, 3000, "Timeout waiting for a response.",
              validator=between(0, 7 * _DAY_MS)),
    ConfigKey("external.resource.usage", ConfigType.STRING, "DISABLED",
              "index, datastream, alias_index, alias_datastream or disabled.",
              validator=one_of("INDEX", "DATASTREAM", "ALIAS_INDEX", "ALIAS_DATASTREAM", "DISABLED")),
    ConfigKey("topic.to.external.resource.mapping", ConfigType.LIST, [], "topic:resource pairs."),
    ConfigKey("max.external.resource.mappings", ConfigType.INT, 15, "Most topic:resource pairs.",
              validator=at_least(1)),
    ConfigKey("data.stream.type", ConfigType.STRING, "NONE", "LOGS, METRICS or NONE.",
              validator=one_of("LOGS", "METRICS", "NONE")),
    ConfigKey("data.stream.dataset", ConfigType.STRING, "", "Data stream dataset."),
    ConfigKey("data.stream.namespace", ConfigType.STRING, "${topic}", "Data stream namespace."),
    ConfigKey("data.stream.timestamp.field", ConfigType.LIST, [], "Fields used as @timestamp."),
    # data conversion
    ConfigKey("key.ignore", ConfigType.BOOLEAN, False, "Use topic+partition+offset as document id.", importance="high"),
    ConfigKey("schema.ignore", ConfigType.BOOLEAN, False, "Do not create mappings from schemas (dynamic mapping)."),
    ConfigKey("compact.map.entries", ConfigType.BOOLEAN, True, "Write string-keyed maps as JSON objects."),
    ConfigKey("topic.key.ignore", ConfigType.LIST, [], "Topics for which key.ignore is true."),
    ConfigKey("topic.schema.ignore", ConfigType.LIST, [], "Topics for which schema.ignore is true."),
    ConfigKey("drop.invalid.message", ConfigType.BOOLEAN, False, "Drop records that cannot be converted."),
    ConfigKey("behavior.on.null.values", ConfigType.STRING, "FAIL", "ignore, delete or fail.",
              validator=one_of("IGNORE", "DELETE", "FAIL")),
    ConfigKey("behavior.on.malformed.documents", ConfigType.STRING, "FAIL", "ignore, warn or fail.",
              validator=one_of("IGNORE", "WARN", "FAIL")),
    ConfigKey("external.version.header", ConfigType.STRING, "", "Header holding the external version."),
    ConfigKey("write.method", ConfigType.STRING, "INSERT", "insert or upsert.", validator=one_of("INSERT", "UPSERT")),
    ConfigKey("use.autogenerated.ids", ConfigType.BOOLEAN, False, "Let Elasticsearch choose ids (insert only)."),
    # proxy
    ConfigKey("proxy.host", ConfigType.STRING, "", "HTTP proxy host."),
    ConfigKey("proxy.port", ConfigType.INT, 8080, "HTTP proxy port.", validator=between(1, 65535)),
    ConfigKey("proxy.username", ConfigType.STRING, "", "HTTP proxy user."),
    ConfigKey("proxy.password", ConfigType.PASSWORD, None, "HTTP proxy password."),
    # security
    ConfigKey("elastic.security.protocol", ConfigType.STRING, "PLAINTEXT", "PLAINTEXT or SSL.",
              validator=one_of("PLAINTEXT", "SSL")),
    ConfigKey("kerberos.user.principal", ConfigType.STRING, None, "Kerberos principal (not supported)."),
    ConfigKey("kerberos.keytab.path", ConfigType.STRING, None, "Kerberos keytab (not supported)."),
])

ALLOWED_PREFIXES = (SSL_PREFIX,)


def _both(issues: list[ConfigIssue], keys: tuple[str, ...], message: str) -> None:
    issues.extend(ConfigIssue(k, message) for k in keys)


def validate(values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
    """Confluent's cross-key checks (Validator.java), minus the ones that need a live cluster."""
    issues: list[ConfigIssue] = []
    user, password = values.get("connection.username"), values.get("connection.password")
    if (user is None) != (password is None):
        _both(issues, ("connection.username", "connection.password"),
              "Both 'connection.username' and 'connection.password' must be set.")
    for flag, topics in (("key.ignore", "topic.key.ignore"), ("schema.ignore", "topic.schema.ignore")):
        if values.get(flag) and values.get(topics):
            _both(issues, (flag, topics), f"'{topics}' can not be set if '{flag}' is true.")
    linger, flush_timeout = values.get("linger.ms", 1), values.get("flush.timeout.ms", 180000)
    if linger > flush_timeout:
        _both(issues, ("linger.ms", "flush.timeout.ms"),
              f"'linger.ms' ({linger}) can not be larger than 'flush.timeout.ms' ({flush_timeout}).")
    buffered, batch, in_flight = (values.get("max.buffered.records", 20000), values.get("batch.size", 2000),
                                  values.get("max.in.flight.requests", 5))
    if buffered < batch * in_flight:
        _both(issues, ("max.buffered.records", "batch.size", "max.in.flight.requests"),
              f"'max.buffered.records' ({buffered}) must be larger than or equal to 'batch.size' ({batch}) x "
              f"max.in.flight.requests ({in_flight}).")
    host = values.get("proxy.host") or ""
    proxy_user, proxy_password = values.get("proxy.username") or "", values.get("proxy.password")
    if not host:
        if proxy_user:
            _both(issues, ("proxy.username", "proxy.host"), "'proxy.host' must be set to use 'proxy.username'.")
        if proxy_password is not None:
            _both(issues, ("proxy.password", "proxy.host"), "'proxy.host' must be set to use 'proxy.password'.")
    elif bool(proxy_user) != (proxy_password is not None):
        _both(issues, ("proxy.username", "proxy.password"),
              "Either both or neither 'proxy.username' and 'proxy.password' can be set.")
    ssl_keys = [k for k in raw if k.startswith(SSL_PREFIX)]
    ssl = str(values.get("elastic.security.protocol", "PLAINTEXT")).upper() == "SSL"
    if ssl_keys and not ssl:
        issues.append(ConfigIssue("elastic.security.protocol",
                                  "'elastic.security.protocol' must be set to 'SSL' to use SSL configs."))
    if ssl and not ssl_keys:
        issues.append(ConfigIssue("elastic.security.protocol",
                                  "At least these SSL configs ('elastic.https.ssl.keystore.location', "
                                  "'elastic.https.ssl.keystore.password', 'elastic.https.ssl.truststore.location', "
                                  "and 'elastic.https.ssl.truststore.password') must be present for SSL support. "
                                  "Otherwise set 'elastic.security.protocol' to 'PLAINTEXT'."))
    if ssl:
        for kind in ("truststore", "keystore"):
            store_type = str(raw.get(f"{SSL_PREFIX}ssl.{kind}.type") or "").upper()
            if store_type and store_type != "PEM":
                issues.append(ConfigIssue(f"{SSL_PREFIX}ssl.{kind}.type",
                                          f"{store_type} stores are not supported by pyconnect-flow; "
                                          "convert the store to PEM (openssl) and set the type to PEM"))
    if values.get("kerberos.user.principal") or values.get("kerberos.keytab.path"):
        issues.append(ConfigIssue("kerberos.user.principal", "Kerberos authentication is not supported by "
                                  "pyconnect-flow; use connection.username/connection.password or TLS"))
    ds_type = str(values.get("data.stream.type", "NONE")).upper()
    dataset = values.get("data.stream.dataset") or ""
    if (ds_type == "NONE") != (not dataset):
        _both(issues, ("data.stream.type", "data.stream.dataset"),
              "Either both or neither 'data.stream.dataset' and 'data.stream.type' must be set.")
    elif ds_type != "NONE":
        issues.append(ConfigIssue("data.stream.type", "data streams are not supported by pyconnect-flow yet; "
                                  "write to indices (data.stream.type=NONE)"))
    if ds_type == "NONE" and values.get("data.stream.timestamp.field"):
        issues.append(ConfigIssue("data.stream.timestamp.field",
                                  "Mapping a timestamp field is only necessary for data streams."))
    issues += _validate_resources(values)
    return issues


def _validate_resources(values: Mapping[str, Any]) -> list[ConfigIssue]:
    usage = str(values.get("external.resource.usage", "DISABLED")).upper()
    mappings = values.get("topic.to.external.resource.mapping") or []
    key = "topic.to.external.resource.mapping"
    if (usage != "DISABLED") != bool(mappings):
        message = ("'external.resource.usage' and 'topic.to.external.resource.mapping' must be configured "
                   "together: set both or neither.")
        return [ConfigIssue("external.resource.usage", message), ConfigIssue(key, message)]
    if not mappings:
        return []
    if "DATASTREAM" in usage:
        return [ConfigIssue("external.resource.usage", "data streams are not supported by pyconnect-flow yet")]
    try:
        parsed = resource_map(mappings)
    except ValueError as exc:
        return [ConfigIssue(key, str(exc))]
    limit = values.get("max.external.resource.mappings", 15)
    if len(parsed) > limit:
        return [ConfigIssue(key, f"Too many topic-to-external-resource mappings are configured ({len(parsed)}). "
                                 f"Maximum allowed limit is {limit}.")]
    topics = [t for t in values.get("topics") or [] if t]
    for topic in topics:
        if topic not in parsed:
            return [ConfigIssue(key, f"Topic '{topic}' is not mapped to any resource.")]
    for topic in parsed:
        if topics and topic not in topics:
            return [ConfigIssue(key, f"Topic '{topic}' is mapped but not configured in 'topics'.")]
    return []


def resource_map(mappings: list[str]) -> dict[str, str]:
    """`topic:resource` pairs as a dict; ValueError on a bad or duplicate pair (1:1, as Confluent)."""
    out: dict[str, str] = {}
    for mapping in mappings:
        parts = mapping.split(":")
        if len(parts) != 2:
            raise ValueError("Invalid topic-to-resource mapping format. The expected format: topic:resource")
        topic, resource = parts[0].strip(), parts[1].strip()
        if topic in out:
            raise ValueError(f"Topic '{topic}' is mapped to multiple resources. "
                             "Each topic must be mapped to exactly one resource.")
        if resource in out.values():
            raise ValueError(f"Resource '{resource}' is mapped from multiple topics. "
                             "Each resource must be mapped to exactly one topic.")
        out[topic] = resource
    return out


def _unique_urls(urls: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(u.rstrip("/") if u.endswith("/") else u for u in urls))


def _or_empty(text: str | None) -> str:
    return text or ""


def _is_upsert(write_method: str) -> bool:
    return write_method.upper() == "UPSERT"


def _is_ssl(protocol: str) -> bool:
    return protocol.upper() == "SSL"


@dataclass(frozen=True, kw_only=True)
class EsSinkSettings:
    """Typed settings of one Elasticsearch sink connector (what the rest of the package reads): each field
    names its key in `CONFIG`, whose default it takes."""

    urls: tuple[str, ...] = setting(CONFIG, "connection.url", _unique_urls)
    username: str | None = setting(CONFIG, "connection.username")
    password: Password | None = setting(CONFIG, "connection.password", repr=False)
    batch_size: int = setting(CONFIG, "batch.size")
    bulk_size_bytes: int = setting(CONFIG, "bulk.size.bytes")
    max_in_flight: int = setting(CONFIG, "max.in.flight.requests")
    max_buffered_records: int = setting(CONFIG, "max.buffered.records")
    linger_ms: int = setting(CONFIG, "linger.ms")
    flush_timeout_ms: int = setting(CONFIG, "flush.timeout.ms")
    max_retries: int = setting(CONFIG, "max.retries")
    retry_backoff_ms: int = setting(CONFIG, "retry.backoff.ms")
    compression: bool = setting(CONFIG, "connection.compression")
    max_idle_ms: int = setting(CONFIG, "max.connection.idle.time.ms")
    connection_timeout_ms: int = setting(CONFIG, "connection.timeout.ms")
    read_timeout_ms: int = setting(CONFIG, "read.timeout.ms")
    key_ignore: bool = setting(CONFIG, "key.ignore")
    schema_ignore: bool = setting(CONFIG, "schema.ignore")
    compact_map_entries: bool = setting(CONFIG, "compact.map.entries")
    key_ignore_topics: frozenset[str] = setting(CONFIG, "topic.key.ignore", frozenset)
    schema_ignore_topics: frozenset[str] = setting(CONFIG, "topic.schema.ignore", frozenset)
    drop_invalid_message: bool = setting(CONFIG, "drop.invalid.message")
    behavior_on_null_values: str = setting(CONFIG, "behavior.on.null.values", str.lower)
    behavior_on_malformed_documents: str = setting(CONFIG, "behavior.on.malformed.documents", str.lower)
    external_version_header: str = setting(CONFIG, "external.version.header", _or_empty)
    upsert: bool = setting(CONFIG, "write.method", _is_upsert)
    autogenerated_ids: bool = setting(CONFIG, "use.autogenerated.ids")
    resource_map: Mapping[str, str] = setting(CONFIG, "topic.to.external.resource.mapping", resource_map)
    proxy_host: str = setting(CONFIG, "proxy.host", _or_empty)
    proxy_port: int = setting(CONFIG, "proxy.port")
    proxy_username: str = setting(CONFIG, "proxy.username", _or_empty)
    proxy_password: Password | None = setting(CONFIG, "proxy.password", repr=False)
    ssl: bool = setting(CONFIG, "elastic.security.protocol", _is_ssl)
    ssl_options: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The `elastic.https.` keys, prefix stripped."""

    @classmethod
    def from_values(cls, values: Mapping[str, Any], ssl_options: Mapping[str, Any] | None = None) -> EsSinkSettings:
        """From typed values of `CONFIG` (e.g. a connector's `ParsedConfig`) and the `elastic.https.` keys."""
        return settings_from(cls, values, ssl_options={k: str(x) for k, x in (ssl_options or {}).items()})

    @property
    def retry(self) -> RetryPolicy:
        """`max.retries` retries of requests and throttled items, one count for both; retry n waits a uniform
        time below `retry.backoff.ms` x 2^n, at most 24 h (Confluent's RetryUtil)."""
        return RetryPolicy(first_delay_ms=2 * self.retry_backoff_ms, max_retries=self.max_retries,
                           max_delay_ms=_DAY_MS, jitter=Jitter.FULL)

    def ignore_key(self, topic: str) -> bool:
        """Whether documents of `topic` get `topic+partition+offset` ids (Confluent's shouldIgnoreKey)."""
        return self.key_ignore or topic in self.key_ignore_topics or (not self.upsert and self.autogenerated_ids)

    def ignore_schema(self, topic: str) -> bool:
        """Whether `topic`'s schemas are ignored (no mapping, raw JsonConverter payload)."""
        return self.schema_ignore or topic in self.schema_ignore_topics
