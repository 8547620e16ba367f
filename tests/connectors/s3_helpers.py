"""Helpers for the S3 sink tests: a writer from Confluent-style keys, records, and reading objects back."""

from __future__ import annotations

import io
from typing import Any

from pyconnect_flow.connectors.s3.config import CONFIG, S3SinkSettings, validate
from pyconnect_flow.connectors.s3.sink import S3Sink
from pyconnect_flow.connectors.s3.writer import S3PartitionWriter
from pyconnect_flow.data.schema import INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Schema, SchemaBuilder
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.embedded.s3 import S3Endpoint
from pyconnect_flow.record import Record

ORDER = (SchemaBuilder.struct().name("com.example.Order").field("id", INT64_SCHEMA).field("name", STRING_SCHEMA)
         .field("note", OPTIONAL_STRING_SCHEMA).build())


class FakeCtx:
    """Just what a writer uses of `ConnectorContext`: a name and `report`, which records what it is given."""

    def __init__(self, name: str = "s3-test") -> None:
        self.name = name
        self.reported: list[tuple[Record, BaseException]] = []

    def report(self, record: Record, exc: BaseException, class_name: str = "") -> None:
        self.reported.append((record, exc))


def settings_for(s3: S3Endpoint, bucket: str, **extra: Any) -> S3SinkSettings:
    raw = {"s3.bucket.name": bucket, "store.url": s3.endpoint_url, "s3.region": s3.region,
           "format.class": "JsonFormat", "flush.size": "10"}
    if s3.access_key_id:
        raw.update({"aws.access.key.id": s3.access_key_id, "aws.secret.access.key": s3.secret_access_key})
    raw.update({k: str(v) for k, v in extra.items()})
    values, issues = CONFIG.check(raw)
    issues += validate(values, raw)
    assert not issues, issues
    return S3SinkSettings.from_config(values)


def make_sink(s3: S3Endpoint, bucket: str, ctx: FakeCtx | None = None, **extra: Any) -> S3Sink:
    return S3Sink(settings_for(s3, bucket, **extra), ctx or FakeCtx())  # type: ignore[arg-type]


def open_writer(s3: S3Endpoint, bucket: str, partition: str = "orders-0", state: Any = None,
                ctx: FakeCtx | None = None, clock: Any = None, **extra: Any) -> S3PartitionWriter:
    sink = make_sink(s3, bucket, ctx, **extra)
    writer = sink.open(partition, state)
    if clock is not None:
        writer.clock = clock
        if writer.schedule_ms > 0:
            writer.next_schedule = writer._next_schedule()
    return writer


def orders(start: int, count: int, topic: str = "orders", partition: int = 0, schema: Schema = ORDER,
           ts: int = 1_700_000_000_000, step_ms: int = 1000) -> list[Record]:
    out = []
    for i in range(start, start + count):
        value = Struct(schema, {"id": i, "name": f"n{i}", "note": None if i % 2 else "even"})
        out.append(Record(topic, None, value, partition, i, None, schema, (), ts + (i - start) * step_ms))
    return out


def keys(client: Any, bucket: str) -> list[str]:
    out: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


def body(client: Any, bucket: str, key: str) -> bytes:
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


def contents(client: Any, bucket: str) -> dict[str, bytes]:
    return {k: body(client, bucket, k) for k in keys(client, bucket)}


def parquet_rows(data: bytes) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data)).to_pylist()


def avro_rows(data: bytes) -> list[dict[str, Any]]:
    import fastavro

    return list(fastavro.reader(io.BytesIO(data)))
