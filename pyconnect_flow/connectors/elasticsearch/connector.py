"""`ElasticsearchSinkConnector`: Confluent's Elasticsearch sink, by its Kafka Connect names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.definition import ConfigIssue
from pyconnect_flow.connectors.elasticsearch import config
from pyconnect_flow.contract.connector import Connector
from pyconnect_flow.contract.sink import RecordSink


class ElasticsearchSinkConnector(Connector):
    """Kafka topics → Elasticsearch indices, with idempotent (id-addressed, externally versioned) writes.

    Example (`.properties`)::

        name=orders-to-es
        connector.class=io.confluent.connect.elasticsearch.ElasticsearchSinkConnector
        topics=orders
        connection.url=http://localhost:9200
        key.ignore=false
        behavior.on.null.values=delete
    """

    KIND = "sink"
    CLASS_NAMES = (
        "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        "pyconnect_flow.connectors.elasticsearch.ElasticsearchSinkConnector",
    )
    CONFIG = config.CONFIG
    ALLOWED_PREFIXES = config.ALLOWED_PREFIXES

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
        return config.validate(values, raw)

    def settings(self) -> config.EsSinkSettings:
        """This connector's typed settings."""
        return config.EsSinkSettings.from_values(self.ctx.config, self.ctx.config.with_prefix(config.SSL_PREFIX))

    def sink(self) -> RecordSink:
        from pyconnect_flow.connectors.elasticsearch.sink import ElasticsearchSink

        return ElasticsearchSink(self.settings(), self.ctx)
