"""Helpers for the Kafka → S3 integration tests: connector files and reading a bucket back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pyconnect_flow.embedded.s3 import S3Endpoint
from tests.integration.kafka_helpers import produce, write_properties


def s3_connector_file(path: Path, s3: S3Endpoint, name: str, topic: str, bucket: str, **extra: Any) -> Path:
    values: dict[str, Any] = {
        "name": name, "connector.class": "io.confluent.connect.s3.S3SinkConnector", "topics": topic,
        "s3.bucket.name": bucket, "store.url": s3.endpoint_url, "s3.region": s3.region,
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat", "flush.size": 100,
    }
    if s3.access_key_id:
        values.update({"aws.access.key.id": s3.access_key_id, "aws.secret.access.key": s3.secret_access_key})
    values.update({k: v for k, v in extra.items()})
    return write_properties(path, values)


ORDER_SCHEMA = {"type": "struct", "name": "com.example.Order", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "customer", "type": "string", "optional": False},
    {"field": "amount", "type": "double", "optional": True},
]}


def order_envelope(i: int) -> bytes:
    payload = {"id": i, "customer": f"c{i % 17}", "amount": None if i % 10 == 0 else i * 1.5}
    return json.dumps({"schema": ORDER_SCHEMA, "payload": payload}, separators=(",", ":")).encode()


def produce_orders(bootstrap: str, topic: str, start: int, count: int, partitions: int,
                   base_ts: int = 1_700_000_000_000, step_ms: int = 100) -> None:
    produce(bootstrap, topic, ({"value": order_envelope(i), "partition": i % partitions,
                                "timestamp": base_ts + i * step_ms} for i in range(start, start + count)))


def bucket_contents(client: Any, bucket: str, prefix: str = "") -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"][len(prefix):]] = client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return out
