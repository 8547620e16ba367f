"""Elasticsearch sink connector (Confluent's `ElasticsearchSinkConnector`), one module per job.

- `config`: the keys, Confluent's defaults and cross-key checks, typed `EsSinkSettings`;
- `documents`: records → index names, ids and JSON bodies (bulk actions);
- `mapping`: Connect schemas → index mappings;
- `http`: urllib3 connections to the nodes (auth, TLS, failover);
- `bulk`: `_bulk` requests with retries and item error sorting;
- `sink`: the `RecordSink`/`SinkWriter`, durable at every flush;
- `connector`: the `Connector` class the registry finds.

Importing this package does not import urllib3: the sink loads it when it opens.
"""

from pyconnect_flow.connectors.elasticsearch.connector import ElasticsearchSinkConnector

CONNECTORS = [ElasticsearchSinkConnector]

__all__ = ["CONNECTORS", "ElasticsearchSinkConnector"]
