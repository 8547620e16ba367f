"""Validating worker and connector configs into `ConnectorSpec`s, reporting every bad key at once.

This is the one place that knows which keys a connector config may hold:
Kafka Connect's common connector keys, the sink- or source-only keys, the
`errors.*` keys, the connector's own declaration, its converters' keys and its
transforms. Nothing runs until every connector given is valid.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyconnect_flow.config.definition import (
    ConfigDef,
    ConfigException,
    ConfigIssue,
    ConfigKey,
    ConfigType,
    ParsedConfig,
    at_least,
    java_trim,
    non_empty_string_without_control_chars,
    one_of,
    valid_regex,
)
from pyconnect_flow.config.providers import resolve_config
from pyconnect_flow.config.unsupported import check_unsupported
from pyconnect_flow.config.worker_keys import KAFKA_CONNECT_WORKER_KEYS, WORKER_KEY_PREFIXES
from pyconnect_flow.connectors.registry import UnknownConnectorClass, connector_class, connector_class_hint
from pyconnect_flow.contract.connector import Connector
from pyconnect_flow.converters import check_converter
from pyconnect_flow.converters.headers import check_header_converter
from pyconnect_flow.errors import ERRORS_CONFIG
from pyconnect_flow.plugins import add_import_paths
from pyconnect_flow.transforms import check_config

log = logging.getLogger(__name__)

JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"
SIMPLE_HEADER_CONVERTER = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

_ONE_VERSION = "Version of the plugin to use (KIP-891); accepted, as each plugin here has one version."

COMMON_CONFIG = ConfigDef([
    ConfigKey("name", ConfigType.STRING, doc="Globally unique name to use for this connector.",
              validator=non_empty_string_without_control_chars),
    ConfigKey("connector.class", ConfigType.STRING,
              doc="The connector to run: a Kafka Connect class name or alias (see `pyconnect-flow connectors`)."),
    ConfigKey("connector.plugin.version", ConfigType.STRING, None, _ONE_VERSION),
    ConfigKey("tasks.max", ConfigType.INT, 1, "Maximum number of tasks (Bytewax processes) for this connector.",
              validator=at_least(1)),
    ConfigKey("tasks.max.enforce", ConfigType.BOOLEAN, True, "(Deprecated) Fail when more tasks than tasks.max."),
    ConfigKey("key.converter", ConfigType.CLASS, None, "Converter for keys (default: the worker's)."),
    ConfigKey("key.converter.plugin.version", ConfigType.STRING, None, _ONE_VERSION),
    ConfigKey("value.converter", ConfigType.CLASS, None, "Converter for values (default: the worker's)."),
    ConfigKey("value.converter.plugin.version", ConfigType.STRING, None, _ONE_VERSION),
    ConfigKey("header.converter", ConfigType.CLASS, None, "Converter for header values (default: the worker's)."),
    ConfigKey("header.converter.plugin.version", ConfigType.STRING, None, _ONE_VERSION),
    ConfigKey("transforms", ConfigType.LIST, [], "Aliases of the transformations to apply, in order."),
    ConfigKey("predicates", ConfigType.LIST, [], "Aliases of the predicates used by transformations."),
    ConfigKey("config.action.reload", ConfigType.STRING, "restart", "Action on config provider changes.",
              validator=one_of("none", "restart")),
    ConfigKey("pyconnect.restart.on.failure", ConfigType.BOOLEAN, None,
              "Distributed mode: restart this connector by itself when it fails, with backoff (default: the "
              "worker's pyconnect.restart.on.failure)."),
]).merged(ERRORS_CONFIG)

SINK_CONFIG = ConfigDef([
    ConfigKey("topics", ConfigType.LIST, [], "Topics to consume."),
    ConfigKey("topics.regex", ConfigType.STRING, "", "Regular expression of topics to consume.",
              validator=lambda v: valid_regex(v) if v else None),
])

SOURCE_CONFIG = ConfigDef([
    ConfigKey("topic.creation.groups", ConfigType.LIST, [], "Topic creation groups (KIP-158)."),
    ConfigKey("exactly.once.support", ConfigType.STRING, "requested", "requested or required.",
              validator=one_of("requested", "required")),
    ConfigKey("transaction.boundary", ConfigType.STRING, "poll", "poll, interval or connector.",
              validator=one_of("poll", "interval", "connector")),
    ConfigKey("transaction.boundary.interval.ms", ConfigType.LONG, None, "Interval for interval boundaries."),
    ConfigKey("offsets.storage.topic", ConfigType.STRING, None, "Per-connector offsets topic (distributed only)."),
])

PASS_THROUGH_PREFIXES: tuple[str, ...] = ("transforms.", "predicates.", "key.converter.", "value.converter.", "header.converter.",
                         "producer.override.", "consumer.override.", "admin.override.")
SOURCE_PREFIXES = ("topic.creation.",)

UNREACHABLE_TIMEOUT_MS = 300_000
"""Default `kafka.unreachable.timeout.ms`: as long as librdkafka's `message.timeout.ms`, after which a source
connector's records fail for want of a broker."""

WORKER_CONFIG = ConfigDef([
    ConfigKey("bootstrap.servers", ConfigType.LIST, ["localhost:9092"], "Kafka bootstrap servers."),
    ConfigKey("key.converter", ConfigType.CLASS, JSON_CONVERTER, "Default key converter."),
    ConfigKey("value.converter", ConfigType.CLASS, JSON_CONVERTER, "Default value converter."),
    ConfigKey("header.converter", ConfigType.CLASS, SIMPLE_HEADER_CONVERTER, "Default header converter."),
    ConfigKey("offset.storage.file.filename", ConfigType.STRING, None,
              "Directory of the Bytewax recovery store (source and sink positions)."),
    ConfigKey("offset.flush.interval.ms", ConfigType.LONG, 60000,
              "How often positions are stored (the Bytewax epoch length).", validator=at_least(1)),
    ConfigKey("topic.creation.enable", ConfigType.BOOLEAN, True, "Create missing topics written by connectors."),
    ConfigKey("metrics.port", ConfigType.INT, None,
              "Port of the Prometheus endpoint (/metrics) of a run without the REST API; the REST listener "
              "serves /metrics itself.", validator=at_least(0)),
    ConfigKey("kafka.unreachable.timeout.ms", ConfigType.LONG, UNREACHABLE_TIMEOUT_MS,
              "How long a sink connector's Kafka consumer may be without any broker connection before the "
              "connector fails (pyconnect-flow; Kafka Connect waits for ever); 0: wait for ever.",
              validator=at_least(0)),
    ConfigKey("progress.log.interval.ms", ConfigType.LONG, 30000,
              "How often each task logs its progress line at INFO (records in and out, errors); 0: never.",
              validator=at_least(0)),
    ConfigKey("pyconnect.assignment.storage.topic", ConfigType.STRING, None,
              "Distributed mode: the one-partition compacted topic whose owner in the group leads the cluster "
              "and where the leader writes which worker runs which connector (default: <group.id>-assignments)."),
    ConfigKey("pyconnect.restart.on.failure", ConfigType.BOOLEAN, False,
              "Distributed mode: restart a FAILED connector by itself, after 1, 2, 4 … up to 60 s (a connector's "
              "own pyconnect.restart.on.failure overrides it)."),
    ConfigKey("pyconnect.data.dir", ConfigType.STRING, None,
              "Distributed mode: where the worker keeps its connectors' working files (a cache: their state is "
              "in Kafka; default: a new temporary directory)."),
    ConfigKey("plugin.path", ConfigType.LIST, [],
              "Directories (or zip files, pure-Python wheels) where connectors, converters, transforms and "
              "predicates named by import path are found, besides the installed packages; relative ones are "
              "relative to the worker file's directory."),
])


@dataclass
class ConnectorSpec:
    """A validated connector: its name, class, typed config and the raw (resolved) keys."""

    name: str
    connector: type[Connector]
    config: ParsedConfig
    raw: dict[str, str]
    worker: dict[str, str]
    display: dict[str, str]
    """The config as safe to print: secrets hidden, provider values shown as their references."""

    @property
    def kind(self) -> str:
        return self.connector.KIND

    def converter(self, which: str) -> tuple[str, dict[str, Any]]:
        """Class name and settings of the `key`/`value` converter (connector's, else the worker's)."""
        own = self.raw.get(f"{which}.converter")
        if own:
            return own, _sub(self.raw, f"{which}.converter.")
        name = self.worker.get(f"{which}.converter") or JSON_CONVERTER
        return name, _sub(self.worker, f"{which}.converter.")

    def header_converter(self) -> tuple[str, dict[str, Any]]:
        """Class name and settings of the header converter (connector's, else the worker's, else
        SimpleHeaderConverter)."""
        own = self.raw.get("header.converter")
        if own:
            return own, _sub(self.raw, "header.converter.")
        name = self.worker.get("header.converter") or SIMPLE_HEADER_CONVERTER
        return name, _sub(self.worker, "header.converter.")


def _sub(config: Mapping[str, str], prefix: str) -> dict[str, Any]:
    # `<prefix>plugin.version` picks a plugin's version (KIP-891); it is not one of the plugin's settings.
    return {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix) and k[len(prefix):] != "plugin.version"}


def validate_worker(raw: Mapping[str, str], name: str = "worker") -> tuple[dict[str, str], dict[str, Any]]:
    """Resolved worker keys and typed values of the keys we use; ConfigException (naming `name`) on bad ones.

    A key Kafka Connect's worker does not know either is a typo when it is close to one it knows
    (`offset.flush.intervall.ms`: refused, with a did-you-mean); a key unlike any is logged and ignored, as
    Kafka Connect logs "supplied but isn't a known config"."""
    resolved = resolve_config(raw, raw)
    values, issues = WORKER_CONFIG.check(resolved, ignore_unknown=True)
    issues = list(resolved.issues) + issues + _unknown_worker_keys(resolved, name)
    if issues:
        raise ConfigException(name, issues, what="worker")
    return dict(resolved), values


_KNOWN_WORKER_KEYS = KAFKA_CONNECT_WORKER_KEYS | {key.name for key in WORKER_CONFIG}


def _unknown_worker_keys(worker: Mapping[str, str], name: str) -> list[ConfigIssue]:
    issues = []
    for key in worker:
        if key in _KNOWN_WORKER_KEYS or key.startswith(WORKER_KEY_PREFIXES):
            continue
        close = difflib.get_close_matches(key, _KNOWN_WORKER_KEYS, n=2, cutoff=_TYPO_SIMILARITY)
        if close:
            issues.append(ConfigIssue(key, "unknown key; did you mean " + " or ".join(f"'{c}'" for c in close)
                                      + "?"))
        else:
            log.warning("The configuration %r of %s was supplied but isn't a known config", key, name)
    return issues


_TYPO_SIMILARITY = 0.85
"""How alike an unknown worker key and a known one must be to call the first a typo of the second."""


def use_plugin_path(values: Mapping[str, Any], worker_file: str | None = None) -> None:
    """Make the entries of `plugin.path` (typed `values` of `validate_worker`) importable, as Kafka Connect loads
    plugins from them: relative entries are taken from the worker file's directory (the working directory when
    the worker config is not a file). ConfigException naming the worker file when an entry does not exist."""
    base = Path(worker_file).resolve().parent if worker_file else Path.cwd()
    missing = add_import_paths(values.get("plugin.path") or [], base)
    if missing:
        raise ConfigException(worker_file or "worker", [ConfigIssue(
            "plugin.path", f"{', '.join(map(repr, missing))} not found (relative entries are taken from {base})")],
            what="worker")


def worker_file_issues(worker: Mapping[str, str], uses_kafka: bool) -> list[ConfigIssue]:
    """What a worker *file* must say beyond `validate_worker`: where Kafka is, when a connector uses it.

    Kafka Connect's worker defaults `bootstrap.servers` to localhost:9092; a worker file read by
    `pyconnect-flow` must set it, so a wrong or garbled file (every line of which is a key with an
    empty value to a `.properties` reader) is refused instead of silently talking to localhost.
    Configs built in code (`connector_flow`) keep the default.
    """
    value = worker.get("bootstrap.servers")
    if not uses_kafka or (value is not None and java_trim(value)):
        return []
    problem = "missing required key" if value is None else "must not be empty"
    return [ConfigIssue("bootstrap.servers", f"{problem}; the connectors read from or write to Kafka: give its "
                                             "brokers as host:port[,host:port...] (a worker file must set it, "
                                             "localhost:9092 is not assumed)")]


def check_connector(raw: Mapping[str, str], worker: Mapping[str, str]) -> tuple[ConnectorSpec | None, list[ConfigIssue]]:
    """A spec for a valid connector config, and every issue found (the spec is None when there are any)."""
    resolved = resolve_config(raw, worker)
    config = dict(resolved)
    issues: list[ConfigIssue] = list(resolved.issues)
    cls, class_issue = _find_connector(config)
    if class_issue is not None:
        issues.append(class_issue)
    definition = COMMON_CONFIG
    prefixes = PASS_THROUGH_PREFIXES
    if cls is not None:
        side = SINK_CONFIG if cls.KIND == "sink" else SOURCE_CONFIG
        definition = COMMON_CONFIG.merged(side, cls.CONFIG)
        prefixes = prefixes + cls.ALLOWED_PREFIXES + (SOURCE_PREFIXES if cls.KIND == "source" else ())
    checked = config
    if cls is not None and cls.UNSUPPORTED_KEYS:
        checked, unsupported = check_unsupported(config, cls.UNSUPPORTED_KEYS, str(config.get("name") or ""))
        issues += unsupported
    values, own_issues = definition.check(checked, allowed_prefixes=prefixes, ignore_unknown=cls is None)
    issues += [i for i in own_issues if i.key != "connector.class"]  # reported by _find_connector
    if cls is not None and not own_issues:
        issues += cls.validate_values(values, config)
    if cls is not None and cls.KIND == "sink":
        issues += _check_sink_topics(values, config)
    issues += _check_converters(config, worker)
    issues += _check_transforms(config)
    name = str(config.get("name") or "")
    if issues or cls is None:
        return None, issues
    parsed = ParsedConfig(values, config, definition)
    display = resolved.display(secret_keys=[k.name for k in definition if k.is_secret])
    return ConnectorSpec(name, cls, parsed, config, dict(worker), display), []


def _find_connector(config: Mapping[str, str]) -> tuple[type[Connector] | None, ConfigIssue | None]:
    """The class `connector.class` names, or the issue saying why there is none (missing, blank, unknown)."""
    value = config.get("connector.class")
    name = java_trim(value) if isinstance(value, str) else ""
    if not name:
        problem = "missing required key" if value is None else "must not be empty"
        return None, ConfigIssue("connector.class", f"{problem}; {connector_class_hint()}")
    try:
        return connector_class(name), None
    except UnknownConnectorClass as exc:
        return None, ConfigIssue("connector.class", str(exc))


def validate_connector(raw: Mapping[str, str], worker: Mapping[str, str]) -> ConnectorSpec:
    """A spec for a valid connector config, or ConfigException naming every bad key."""
    spec, issues = check_connector(raw, worker)
    if spec is None:
        raise ConfigException(str(raw.get("name") or "<unnamed>"), issues)
    return spec


def _check_sink_topics(values: Mapping[str, Any], raw: Mapping[str, str]) -> list[ConfigIssue]:
    topics = [t for t in values.get("topics") or [] if t]
    regex = values.get("topics.regex") or ""
    issues = []
    if topics and regex:
        issues.append(ConfigIssue("topics", "topics and topics.regex are mutually exclusive options, but both are set."))
    elif not topics and not regex:
        issues.append(ConfigIssue("topics", "Must configure one of topics or topics.regex"))
    dlq = values.get("errors.deadletterqueue.topic.name") or ""
    if dlq and (dlq in topics or (regex and re.fullmatch(regex, dlq))):
        issues.append(ConfigIssue("errors.deadletterqueue.topic.name",
                                  f"The DLQ topic '{dlq}' may not be included in the list of topics consumed"))
    return issues


def _check_converters(config: Mapping[str, str], worker: Mapping[str, str]) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for which in ("key", "value"):
        own = config.get(f"{which}.converter")
        if own:
            issues += check_converter(own, _sub(config, f"{which}.converter."), f"{which}.converter.")
        elif any(k.startswith(f"{which}.converter.") for k in config):
            name = worker.get(f"{which}.converter") or JSON_CONVERTER
            issues += check_converter(name, _sub(config, f"{which}.converter."), f"{which}.converter.")
    name = config.get("header.converter") or worker.get("header.converter") or SIMPLE_HEADER_CONVERTER
    sub = _sub(config, "header.converter.") if config.get("header.converter") else {
        **_sub(worker, "header.converter."), **_sub(config, "header.converter.")}
    issues += check_header_converter(name, sub, "header.converter.")
    return issues


def _check_transforms(config: Mapping[str, str]) -> list[ConfigIssue]:
    if not config.get("transforms", "").strip() and not config.get("predicates", "").strip():
        return []

    return list(check_config(config))
