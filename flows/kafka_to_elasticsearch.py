"""Kafka → Elasticsearch (Confluent's ElasticsearchSinkConnector keys) as a plain Bytewax flow.

    python -m bytewax.run flows.kafka_to_elasticsearch                  # runs until stopped
    PYCONNECT_STOP_AT_END=1 python -m bytewax.run flows.kafka_to_elasticsearch
    python -m bytewax.run flows.kafka_to_elasticsearch -r recovery -s 5 -b 0   # offsets kept in ./recovery

Settings (environment variables, else `kafka_to_elasticsearch.properties` beside this file, else defaults):

| variable | key | default |
|---|---|---|
| PYCONNECT_TOPICS | topics | demo-kafka-connect |
| PYCONNECT_BOOTSTRAP_SERVERS | bootstrap.servers | localhost:9092 |
| PYCONNECT_ELASTICSEARCH_URL | connection.url | http://localhost:9200 |
| PYCONNECT_ELASTICSEARCH_USERNAME | connection.username | (none) |
| PYCONNECT_ELASTICSEARCH_PASSWORD | connection.password | (none) |
| PYCONNECT_KEY_IGNORE | key.ignore | true |
| PYCONNECT_SCHEMA_IGNORE | schema.ignore | true |
| PYCONNECT_WRITE_METHOD | write.method | insert |
| PYCONNECT_STOP_AT_END | (1 = stop at the end of the topics) | 0 |
| PYCONNECT_CONFIG | a .properties file with any connector or worker keys | kafka_to_elasticsearch.properties |

Values are schemaless JSON by default (`value.converter.schemas.enable=false`), indexed with
Elasticsearch's dynamic mapping; set `schema.ignore=false` and schemas.enable=true to create
mappings from Connect schemas.
"""

from __future__ import annotations

import os

from flows._settings import flow_settings, split_worker, truthy
from pyconnect_flow.flow import connector_flow

WORKER_KEYS = ("bootstrap.servers", "key.converter", "value.converter", "key.converter.schemas.enable",
               "value.converter.schemas.enable", "topic.creation.enable")

settings = flow_settings(
    __file__,
    defaults={
        "name": "kafka-to-elasticsearch",
        "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        "topics": "demo-kafka-connect",
        "connection.url": "http://localhost:9200",
        "key.ignore": "true",
        "schema.ignore": "true",
        "bootstrap.servers": "localhost:9092",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    },
    env={"PYCONNECT_TOPICS": "topics", "PYCONNECT_BOOTSTRAP_SERVERS": "bootstrap.servers",
         "PYCONNECT_ELASTICSEARCH_URL": "connection.url", "PYCONNECT_ELASTICSEARCH_USERNAME": "connection.username",
         "PYCONNECT_ELASTICSEARCH_PASSWORD": "connection.password", "PYCONNECT_KEY_IGNORE": "key.ignore",
         "PYCONNECT_SCHEMA_IGNORE": "schema.ignore", "PYCONNECT_WRITE_METHOD": "write.method"},
)
connector, worker = split_worker(settings, WORKER_KEYS)
flow = connector_flow(connector, worker, stop_at_end=truthy(os.environ.get("PYCONNECT_STOP_AT_END")))
