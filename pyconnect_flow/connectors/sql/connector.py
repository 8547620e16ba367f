"""The SQL connectors as Kafka Connect users name them: Confluent's JDBC sink and source keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigIssue
from pyconnect_flow.connectors.sql.config import (
    SINK_CONFIG,
    SOURCE_CONFIG,
    connection_url,
    validate_sink,
    validate_source,
)
from pyconnect_flow.connectors.sql.sink import SqlSink, SqlSinkSettings
from pyconnect_flow.connectors.sql.source import SqlSource, SqlSourceSettings
from pyconnect_flow.contract.connector import Connector, ConnectorContext
from pyconnect_flow.record import Record


class ContextReporter:
    """`ctx.report` for the sink, plus whether failures are tolerated (then reports wait for the commit)."""

    def __init__(self, ctx: ConnectorContext, class_name: str) -> None:
        self.ctx = ctx
        self.class_name = class_name
        self.tolerate_all = ctx.reporter.policy.tolerate_all

    def __call__(self, record: Record, exc: BaseException) -> None:
        self.ctx.report(record, exc, self.class_name)


def sink_settings(config: Mapping[str, Any], name: str) -> SqlSinkSettings:
    """Typed sink settings from validated config values."""
    password = config.get("connection.password")
    return SqlSinkSettings(
        url=connection_url(config),
        connector=name,
        insert_mode=str(config["insert.mode"]).lower(),
        pk_mode=str(config["pk.mode"]).lower(),
        pk_fields=tuple(f for f in config["pk.fields"] if f),
        fields_whitelist=frozenset(f for f in config["fields.whitelist"] if f),
        table_name_format=config["table.name.format"],
        auto_create=config["auto.create"],
        auto_evolve=config["auto.evolve"],
        delete_enabled=config["delete.enabled"],
        batch_size=config["batch.size"],
        quote_identifiers=str(config["quote.sql.identifiers"]).lower() == "always",
        max_retries=config["max.retries"],
        retry_backoff_ms=config["retry.backoff.ms"],
        db_timezone=config["db.timezone"],
        replace_null_with_default=config["replace.null.with.default"],
        secret=getattr(password, "value", None) or None,
    )


def source_settings(config: Mapping[str, Any], name: str, stop_at_end: bool) -> SqlSourceSettings:
    """Typed source settings from validated config values."""
    password = config.get("connection.password")
    return SqlSourceSettings(
        url=connection_url(config),
        connector=name,
        mode=config["mode"],
        table_whitelist=tuple(t for t in config["table.whitelist"] if t),
        table_blacklist=tuple(t for t in config["table.blacklist"] if t),
        table_types=tuple(config["table.types"]),
        query=config["query"] or "",
        incrementing_column=config["incrementing.column.name"] or "",
        timestamp_columns=tuple(c for c in config["timestamp.column.name"] if c),
        poll_interval_ms=config["poll.interval.ms"],
        batch_max_rows=config["batch.max.rows"],
        topic_prefix=config["topic.prefix"] or "",
        timestamp_delay_ms=config["timestamp.delay.interval.ms"],
        db_timezone=config["db.timezone"],
        schema_pattern=config.get("schema.pattern") or None,
        stop_at_end=stop_at_end,
        secret=getattr(password, "value", None) or None,
    )


class SqlSinkConnector(Connector):
    """Confluent's JdbcSinkConnector: topics → SQL tables (insert, upsert, update; deletes), exactly once."""

    KIND = "sink"
    CLASS_NAMES = ("io.confluent.connect.jdbc.JdbcSinkConnector", "pyconnect_flow.connectors.sql.SqlSinkConnector")
    CONFIG = SINK_CONFIG

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
        return validate_sink(values)

    def sink(self) -> SqlSink:
        return SqlSink(sink_settings(self.ctx.config, self.ctx.name), ContextReporter(self.ctx, "io.confluent.connect.jdbc.sink.JdbcSinkTask"))


class SqlSourceConnector(Connector):
    """Confluent's JdbcSourceConnector: tables (or a query) → topics, in bulk or incrementally."""

    KIND = "source"
    CLASS_NAMES = ("io.confluent.connect.jdbc.JdbcSourceConnector",
                   "pyconnect_flow.connectors.sql.SqlSourceConnector")
    CONFIG = SOURCE_CONFIG

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
        return validate_source(values)

    def source(self) -> SqlSource:
        return SqlSource(source_settings(self.ctx.config, self.ctx.name, self.ctx.stop_at_end))
