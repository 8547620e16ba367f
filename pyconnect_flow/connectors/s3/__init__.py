"""Amazon S3 sink connector (Confluent's S3 sink keys and object names), in small modules:

- `config`: the keys, defaults and cross-key rules; `S3SinkSettings`.
- `timeformat`: Joda-Time patterns and zones for TimeBased partitions and schedules.
- `partitioners`: Default, Field, TimeBased, Daily, Hourly; timestamp extractors.
- `formats`, `avro_format`, `parquet_format`: JSON lines, raw bytes, Avro, Parquet (+ gzip).
- `storage`: boto3 client, retries, preflight, streamed multipart uploads.
- `writer`: per topic-partition rotation (Confluent's TopicPartitionWriter) and crash safety.
- `sink`: the `RecordSink` and the `S3SinkConnector` class.
"""

from __future__ import annotations

from pyconnect_flow.connectors.s3.sink import S3Sink, S3SinkConnector
from pyconnect_flow.contract.connector import Connector

CONNECTORS: list[type[Connector]] = [S3SinkConnector]

__all__ = ["CONNECTORS", "S3Sink", "S3SinkConnector"]
