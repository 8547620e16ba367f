"""The SQL connectors as Kafka Connect users name them: Confluent's JDBC sink and source keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigIssue, settings_from
from pyconnect_flow.connectors.sql.config import (
    SINK_CONFIG,
    SINK_UNSUPPORTED,
    SOURCE_CONFIG,
    SOURCE_UNSUPPORTED,
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
    return settings_from(SqlSinkSettings, config, url=connection_url(config), connector=name)


def source_settings(config: Mapping[str, Any], name: str, stop_at_end: bool) -> SqlSourceSettings:
    """Typed source settings from validated config values."""
    return settings_from(SqlSourceSettings, config, url=connection_url(config), connector=name,
                         stop_at_end=stop_at_end)


class SqlSinkConnector(Connector):
    """Confluent's JdbcSinkConnector: topics → SQL tables (insert, upsert, update; deletes), exactly once."""

    KIND = "sink"
    CLASS_NAMES = ("io.confluent.connect.jdbc.JdbcSinkConnector", "pyconnect_flow.connectors.sql.SqlSinkConnector")
    CONFIG = SINK_CONFIG
    UNSUPPORTED_KEYS = SINK_UNSUPPORTED

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
    UNSUPPORTED_KEYS = SOURCE_UNSUPPORTED

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
        return validate_source(values)

    def source(self) -> SqlSource:
        return SqlSource(source_settings(self.ctx.config, self.ctx.name, self.ctx.stop_at_end))
