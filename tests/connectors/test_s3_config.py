"""S3 sink configuration: Confluent's keys, defaults and cross-key validation (no server needed)."""

from __future__ import annotations

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.connectors.registry import connector_class
from pyconnect_flow.connectors.s3 import S3SinkConnector
from pyconnect_flow.connectors.s3.config import CONFIG, S3SinkSettings, normalise_url, validate
from pyconnect_flow.engine.spec import validate_connector

BASE = {"s3.bucket.name": "bucket", "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "flush.size": "100"}


def check(**extra: str) -> tuple[dict, list]:
    raw = {**BASE, **{k.replace("_", "."): v for k, v in extra.items()}}
    values, issues = CONFIG.check(raw)
    return values, issues + validate(values, raw)


def issue_keys(**extra: str) -> set[str]:
    return {i.key for i in check(**extra)[1]}


def test_confluent_and_short_class_names_find_the_connector() -> None:
    assert connector_class("io.confluent.connect.s3.S3SinkConnector") is S3SinkConnector
    assert connector_class("S3SinkConnector") is S3SinkConnector
    assert connector_class("S3Sink") is S3SinkConnector


def test_defaults_are_confluents() -> None:
    values, issues = check()
    assert not issues
    s = S3SinkSettings.from_config(values)
    assert (s.region, s.topics_dir, s.directory_delim, s.file_delim) == ("us-west-2", "topics", "/", "+")
    assert (s.part_size, s.compression, s.zero_pad_width, s.null_values) == (26214400, "none", 10, "fail")
    assert (s.rotate_interval_ms, s.rotate_schedule_interval_ms, s.partitioner) == (-1, -1, "default")
    assert (s.timestamp_extractor, s.timestamp_field, s.parquet_codec, s.avro_codec) == (
        "Wallclock", "timestamp", "snappy", "null")
    assert s.format == "json" and s.store_url is None


def test_required_keys_are_reported_together() -> None:
    values, issues = CONFIG.check({})
    assert {"s3.bucket.name", "format.class", "flush.size"} <= {i.key for i in issues}


@pytest.mark.parametrize("name,kind", [
    ("io.confluent.connect.s3.format.avro.AvroFormat", "avro"),
    ("io.confluent.connect.s3.format.parquet.ParquetFormat", "parquet"),
    ("io.confluent.connect.s3.format.bytearray.ByteArrayFormat", "bytearray"),
    ("JsonFormat", "json"),
])
def test_format_classes(name: str, kind: str) -> None:
    values, issues = check(**{"format.class": name})
    assert not issues
    assert S3SinkSettings.from_config(values).format == kind


def test_unknown_format_and_partitioner_are_rejected() -> None:
    assert issue_keys(**{"format.class": "com.example.CsvFormat",
                         "partitioner.class": "com.example.Mine"}) == {"format.class", "partitioner.class"}


def test_part_size_range() -> None:
    assert "s3.part.size" in issue_keys(**{"s3.part.size": str(5 * 1024 * 1024 - 1)})
    assert not issue_keys(**{"s3.part.size": str(5 * 1024 * 1024)})


def test_gzip_only_for_json_and_bytearray() -> None:
    assert not issue_keys(**{"s3.compression.type": "gzip"})
    assert "s3.compression.type" in issue_keys(**{"s3.compression.type": "gzip",
                                                  "format.class": "io.confluent.connect.s3.format.avro.AvroFormat"})
    assert "s3.compression.type" in issue_keys(**{"s3.compression.type": "zip"})


def test_field_partitioner_needs_field_names() -> None:
    field = "io.confluent.connect.storage.partitioner.FieldPartitioner"
    assert "partition.field.name" in issue_keys(**{"partitioner.class": field})
    assert "partition.field.name" in issue_keys(**{"partitioner.class": field, "partition.field.name": "a..b"})
    assert not issue_keys(**{"partitioner.class": field, "partition.field.name": "country,address.city"})


def test_time_based_partitioner_rules() -> None:
    tb = "io.confluent.connect.storage.partitioner.TimeBasedPartitioner"
    keys = issue_keys(**{"partitioner.class": tb})
    assert {"path.format", "partition.duration.ms", "locale", "timezone"} <= keys
    assert not issue_keys(**{"partitioner.class": tb, "path.format": "'dt'=YYYY-MM-dd", "partition.duration.ms": "3600000",
                             "locale": "en-US", "timezone": "UTC"})
    assert "timezone" in issue_keys(**{"partitioner.class": "HourlyPartitioner", "locale": "en", "timezone": "Mars/Base"})


def test_schedule_needs_timezone_and_nulls_write_is_unsupported() -> None:
    assert "timezone" in issue_keys(**{"rotate.schedule.interval.ms": "60000"})
    assert "behavior.on.null.values" in issue_keys(**{"behavior.on.null.values": "write"})
    assert not issue_keys(**{"behavior.on.null.values": "IGNORE"})


def test_store_url_gets_https_by_default() -> None:
    assert normalise_url("minio:9000") == "https://minio:9000"
    assert normalise_url("http://127.0.0.1:9000") == "http://127.0.0.1:9000"
    assert normalise_url("") is None


def test_secret_keys_never_show_in_errors() -> None:
    raw = {"name": "s3", "connector.class": "S3SinkConnector", "topics": "t", **BASE,
           "aws.access.key.id": "AKIASECRETVALUE", "aws.secret.access.key": "very-secret", "flush.size": "x"}
    with pytest.raises(ConfigException) as err:
        validate_connector(raw, {})
    assert "very-secret" not in str(err.value) and "AKIASECRETVALUE" not in str(err.value)
    assert "flush.size" in str(err.value)


def test_confluents_quickstart_config_validates_as_is() -> None:
    quickstart = {
        "name": "s3-sink", "connector.class": "io.confluent.connect.s3.S3SinkConnector", "tasks.max": "1",
        "topics": "s3_topic", "s3.region": "us-west-2", "s3.bucket.name": "confluent-kafka-connect-s3-testing",
        "s3.part.size": "5242880", "flush.size": "3", "storage.class": "io.confluent.connect.s3.storage.S3Storage",
        "format.class": "io.confluent.connect.s3.format.avro.AvroFormat",
        "schema.generator.class": "io.confluent.connect.storage.hive.schema.DefaultSchemaGenerator",
        "partitioner.class": "io.confluent.connect.storage.partitioner.DefaultPartitioner",
        "schema.compatibility": "NONE",
    }
    spec = validate_connector(quickstart, {})
    settings = S3SinkSettings.from_config(spec.config)
    assert (settings.format, settings.partitioner, settings.part_size, settings.flush_size) == (
        "avro", "default", 5242880, 3)


def test_unsupported_confluent_keys_are_errors_not_silently_ignored() -> None:
    raw = {"name": "s3", "connector.class": "S3SinkConnector", "topics": "t", **BASE}
    with pytest.raises(ConfigException, match="s3.sse.kms.key.id: not implemented by pyconnect-flow: no server-side "
                                              "encryption is asked for"):
        validate_connector({**raw, "s3.sse.kms.key.id": "arn:aws:kms:key"}, {})
    with pytest.raises(ConfigException, match="store.kafka.keys: keys and headers files are not supported"):
        validate_connector({**raw, "store.kafka.keys": "true"}, {})
