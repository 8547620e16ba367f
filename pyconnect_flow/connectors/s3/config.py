"""The S3 sink's configuration: Confluent's keys and defaults, checked once, read into `S3SinkSettings`
(whose fields name their keys: `config.definition.setting`).

Key names, defaults and cross-key rules follow Confluent's `S3SinkConnectorConfig`,
`StorageSinkConnectorConfig`, `StorageCommonConfig` and `PartitionerConfig`
(kafka-connect-storage-cloud / kafka-connect-storage-common), so an existing
`io.confluent.connect.s3.S3SinkConnector` config works unchanged. Class-valued
keys accept Confluent's fully qualified names or their simple names
(`JsonFormat`, `TimeBasedPartitioner`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyconnect_flow.config.definition import (
    ConfigDef,
    ConfigIssue,
    ConfigKey,
    ConfigType,
    at_least,
    between,
    one_of,
    secret_text,
    setting,
    settings_from,
)
from pyconnect_flow.config.unsupported import UnsupportedKey as U
from pyconnect_flow.config.unsupported import unsupported_keys
from pyconnect_flow.connectors.s3.timeformat import zone

PART_SIZE_MIN = 5 * 1024 * 1024
PART_SIZE_MAX = 2**31 - 1

FORMAT_PACKAGE = "io.confluent.connect.s3.format"
FORMATS = {
    "JsonFormat": "json",
    "AvroFormat": "avro",
    "ParquetFormat": "parquet",
    "ByteArrayFormat": "bytearray",
}
PARTITIONER_PACKAGE = "io.confluent.connect.storage.partitioner"
PARTITIONERS = {
    "DefaultPartitioner": "default",
    "FieldPartitioner": "field",
    "TimeBasedPartitioner": "time",
    "DailyPartitioner": "daily",
    "HourlyPartitioner": "hourly",
}
TIMESTAMP_EXTRACTORS = ("Wallclock", "Record", "RecordField")
AVRO_CODECS = ("null", "deflate", "snappy", "bzip2")
PARQUET_CODECS = ("none", "snappy", "gzip", "zstd", "lz4", "brotli")


def _simple_class(value: str, known: Mapping[str, str], package: str) -> str | None:
    """The short kind for a class name given in full (`io.confluent...JsonFormat`), simply, or None."""
    name = value.strip()
    for prefix in (f"{package}.", f"{package}.json.", f"{package}.avro.", f"{package}.parquet.",
                   f"{package}.bytearray.", "io.confluent.connect.storage.format."):
        if name.startswith(prefix) and name[len(prefix):] in known:
            return known[name[len(prefix):]]
    simple = name.rsplit(".", 1)[-1]
    if simple in known and (name == simple or name.startswith("io.confluent.") or name.startswith("pyconnect_flow.")):
        return known[simple]
    return None


def _class_in(known: Mapping[str, str], package: str) -> Any:
    def check(value: Any) -> str | None:
        if _simple_class(str(value), known, package) is None:
            return f"invalid class {value!r}; must be one of " + ", ".join(f"{package}...{k}" for k in known)
        return None
    return check


CONFIG = ConfigDef([
    # S3 ----------------------------------------------------------------------------------
    ConfigKey("s3.bucket.name", ConfigType.STRING, doc="The S3 bucket.", importance="high",
              validator=lambda v: None if v else "must not be empty"),
    ConfigKey("s3.region", ConfigType.STRING, "us-west-2", "The AWS region to be used by the connector."),
    ConfigKey("store.url", ConfigType.STRING, None,
              "Store's connection URL (any S3-compatible endpoint); https:// is assumed without a scheme."),
    ConfigKey("s3.path.style.access.enabled", ConfigType.BOOLEAN, True,
              "Address buckets as <url>/<bucket> (path style) when store.url is set."),
    ConfigKey("aws.access.key.id", ConfigType.PASSWORD, None,
              "AWS access key id; default: boto3's credential chain (environment, profile, role)."),
    ConfigKey("aws.secret.access.key", ConfigType.PASSWORD, None, "AWS secret access key."),
    ConfigKey("s3.part.size", ConfigType.INT, 26214400,
              "The part size of S3 multipart uploads (bytes); also bounds the memory of each open file.",
              validator=between(PART_SIZE_MIN, PART_SIZE_MAX)),
    ConfigKey("s3.compression.type", ConfigType.STRING, "none", "Compression of objects: none or gzip.",
              validator=one_of("none", "gzip")),
    ConfigKey("s3.compression.level", ConfigType.INT, -1, "gzip level, -1 (default) or 0..9.",
              validator=between(-1, 9)),
    ConfigKey("s3.part.retries", ConfigType.INT, 3,
              "Retries of a failed S3 request (throttling, 5xx, connection loss) before the task fails.",
              validator=at_least(0)),
    ConfigKey("s3.retry.backoff.ms", ConfigType.LONG, 200,
              "First backoff between S3 retries; doubles each time, jittered.", validator=at_least(0)),
    ConfigKey("retry.backoff.ms", ConfigType.LONG, 5000, "Accepted for compatibility (Connect redelivery backoff).",
              validator=at_least(0)),
    ConfigKey("schema.generator.class", ConfigType.CLASS, None,
              "Accepted for compatibility with older Confluent configs (Hive schema generator); ignored."),
    ConfigKey("storage.class", ConfigType.CLASS, "io.confluent.connect.s3.storage.S3Storage",
              "The storage class; only S3Storage.",
              validator=lambda v: None if str(v).rsplit(".", 1)[-1] == "S3Storage" else "must be S3Storage"),
    # storage common ------------------------------------------------------------------------
    ConfigKey("topics.dir", ConfigType.STRING, "topics", "Top level directory of the objects written."),
    ConfigKey("directory.delim", ConfigType.STRING, "/", "Directory delimiter pattern."),
    ConfigKey("file.delim", ConfigType.STRING, "+", "File delimiter pattern."),
    ConfigKey("format.class", ConfigType.CLASS, doc="The format class (JsonFormat, AvroFormat, ParquetFormat, "
              "ByteArrayFormat).", validator=_class_in(FORMATS, FORMAT_PACKAGE), importance="high"),
    ConfigKey("flush.size", ConfigType.INT, doc="Number of records written to a file before it is committed.",
              importance="high"),
    ConfigKey("rotate.interval.ms", ConfigType.LONG, -1,
              "Record-time span of a file (TimeBased partitioners): a file is committed when a record's "
              "timestamp is this far past the first one's. -1 disables."),
    ConfigKey("rotate.schedule.interval.ms", ConfigType.LONG, -1,
              "Wall-clock rotation: open files are committed at multiples of this interval (in `timezone`). "
              "-1 disables."),
    ConfigKey("filename.offset.zero.pad.width", ConfigType.INT, 10,
              "Width to zero-pad the start offset in object names.", validator=at_least(0)),
    ConfigKey("avro.codec", ConfigType.STRING, "null", "Avro compression codec.", validator=one_of(*AVRO_CODECS)),
    ConfigKey("parquet.codec", ConfigType.STRING, "snappy", "Parquet compression codec.",
              validator=one_of(*PARQUET_CODECS)),
    ConfigKey("format.bytearray.extension", ConfigType.STRING, ".bin", "Extension of ByteArrayFormat objects."),
    ConfigKey("format.bytearray.separator", ConfigType.STRING, None,
              "Separator written after each record by ByteArrayFormat (default: the line separator)."),
    ConfigKey("json.decimal.format", ConfigType.STRING, "BASE64", "Decimals in JSON: BASE64 or NUMERIC.",
              validator=one_of("BASE64", "NUMERIC")),
    ConfigKey("behavior.on.null.values", ConfigType.STRING, "fail",
              "Records with a null value: ignore (skip), fail, or write (needs store.kafka.keys).",
              validator=one_of("ignore", "fail", "write")),
    ConfigKey("store.kafka.keys", ConfigType.BOOLEAN, False, "Write keys files (not supported: must be false)."),
    ConfigKey("store.kafka.headers", ConfigType.BOOLEAN, False, "Write headers files (not supported: must be false)."),
    ConfigKey("schema.compatibility", ConfigType.STRING, "NONE",
              "NONE: a new file whenever the value schema changes. (BACKWARD, FORWARD, FULL are not supported.)",
              validator=one_of("NONE", "BACKWARD", "FORWARD", "FULL")),
    ConfigKey("rotate.file.on.partition.change", ConfigType.BOOLEAN, True,
              "With rotate.interval.ms: commit when a record goes to another encoded partition than the last."),
    # partitioner -------------------------------------------------------------------------
    ConfigKey("partitioner.class", ConfigType.CLASS, f"{PARTITIONER_PACKAGE}.DefaultPartitioner",
              "The partitioner (Default, Field, TimeBased, Daily, Hourly).",
              validator=_class_in(PARTITIONERS, PARTITIONER_PACKAGE)),
    ConfigKey("partition.field.name", ConfigType.LIST, [], "Value fields (dotted for nested) for FieldPartitioner."),
    ConfigKey("path.format", ConfigType.STRING, "",
              "Joda-Time pattern of TimeBased directories, e.g. 'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH."),
    ConfigKey("partition.duration.ms", ConfigType.LONG, -1, "Duration of a TimeBased partition (ms)."),
    ConfigKey("locale", ConfigType.STRING, "", "Locale of path.format (e.g. en-US)."),
    ConfigKey("timezone", ConfigType.STRING, "", "Time zone of path.format and the rotation schedule (e.g. UTC)."),
    ConfigKey("timestamp.extractor", ConfigType.STRING, "Wallclock", "Wallclock, Record or RecordField.",
              validator=lambda v: None if str(v).rsplit(".", 1)[-1].removesuffix("TimestampExtractor")
              in TIMESTAMP_EXTRACTORS else f"invalid value {v!r}; must be one of {', '.join(TIMESTAMP_EXTRACTORS)}"),
    ConfigKey("timestamp.field", ConfigType.STRING, "timestamp", "Value field holding the timestamp (RecordField)."),
])


# Keys of Confluent's S3 sink not implemented here: accepted at Confluent's default with a warning, refused
# otherwise (`config.unsupported`; docs/s3-sink.md).
_TAGS = "objects are not tagged"
_PROXY = "use the HTTPS_PROXY / HTTP_PROXY environment variables, which boto3 reads"
_SSE = "no server-side encryption is asked for (the bucket's default encryption applies)"
_AVRO = "the Avro format writes with AvroData's defaults"
UNSUPPORTED = unsupported_keys(
    U("s3.object.tagging", "false", _TAGS),
    U("s3.object.tagging.key.value.pairs", "", _TAGS),
    U("s3.object.behavior.on.tagging.error", "ignore", _TAGS),
    U("s3.credentials.provider.class", "com.amazonaws.auth.DefaultAWSCredentialsProviderChain",
      "credentials come from aws.access.key.id and aws.secret.access.key, else boto3's default chain "
      "(environment, shared files, instance roles)", also=("DefaultCredentialsProvider",)),
    U("s3.ssea.name", "", _SSE),
    U("s3.sse.customer.key", "", _SSE),
    U("s3.sse.kms.key.id", "", _SSE),
    U("s3.acl.canned", "", "no canned ACL is set on the objects"),
    U("s3.wan.mode", "false", "S3 Transfer Acceleration is not used"),
    U("s3.proxy.url", "", _PROXY),
    U("s3.proxy.user", "", _PROXY),
    U("s3.proxy.password", "", _PROXY),
    U("s3.http.send.expect.continue", "true", "boto3 decides on Expect: 100-continue"),
    U("report.null.values.to.dlq", "true", "null values ignored with behavior.on.null.values=ignore are "
                                           "dropped without reaching the dead letter queue"),
    U("max.write.duration.ms", "9223372036854775807", "writes are bounded by s3.part.retries only"),
    U("tombstone.encoded.partition", "tombstone", "behavior.on.null.values=write is not implemented"),
    U("s3.schema.partition.affix.type", "NONE", "object paths get no schema affix"),
    U("s3.send.digest", "false", "no Content-MD5 is sent"),
    U("enable.conditional.writes", "true", "objects are written with plain PUTs (exactly once comes from the "
                                           "deterministic object names)"),
    U("max.files.scan.limit", "100", "an internal key of Confluent's conditional writes"),
    U("keys.format.class", "io.confluent.connect.s3.format.avro.AvroFormat",
      "record keys are not stored (store.kafka.keys=false)"),
    U("headers.format.class", "io.confluent.connect.s3.format.avro.AvroFormat",
      "record headers are not stored (store.kafka.headers=false)"),
    U("s3.elastic.buffer.enable", "false", "parts are buffered whole (s3.part.size)"),
    U("s3.elastic.buffer.init.capacity", "131072", "parts are buffered whole (s3.part.size)"),
    U("partitioner.max.open.files", "-1", "open files are not capped"),
    U("schemas.cache.config", "1000", _AVRO),
    U("enhanced.avro.schema.support", "true", _AVRO),
    U("connect.meta.data", "true", _AVRO),
    U("shutdown.timeout.ms", "3000", "open files are committed when the task stops"),
    U("allow.optional.map.keys", "false", _AVRO),
)


def _format(name: str) -> str:
    return str(_simple_class(name, FORMATS, FORMAT_PACKAGE))


def _partitioner(name: str) -> str:
    return str(_simple_class(name, PARTITIONERS, PARTITIONER_PACKAGE))


def _extractor(name: str) -> str:
    return name.rsplit(".", 1)[-1].removesuffix("TimestampExtractor")


def _separator(text: str | None) -> bytes:
    return b"\n" if text is None else text.encode()


def normalise_url(url: str | None) -> str | None:
    """`store.url` as boto3 wants it: `https://` added when there is no scheme; blank means None."""
    if not url:
        return None
    return url if "://" in url else f"https://{url}"


@dataclass(frozen=True, kw_only=True)
class S3SinkSettings:
    """The S3 sink's settings, typed and normalised (format and partitioner as short kinds): each field
    names its key in `CONFIG`, whose default it takes."""

    bucket: str = setting(CONFIG, "s3.bucket.name")
    region: str = setting(CONFIG, "s3.region")
    store_url: str | None = setting(CONFIG, "store.url", normalise_url)
    path_style: bool = setting(CONFIG, "s3.path.style.access.enabled")
    access_key_id: str | None = setting(CONFIG, "aws.access.key.id", secret_text, repr=False)
    secret_access_key: str | None = setting(CONFIG, "aws.secret.access.key", secret_text, repr=False)
    part_size: int = setting(CONFIG, "s3.part.size")
    compression: str = setting(CONFIG, "s3.compression.type", str.lower)
    compression_level: int = setting(CONFIG, "s3.compression.level")
    part_retries: int = setting(CONFIG, "s3.part.retries")
    retry_backoff_ms: int = setting(CONFIG, "s3.retry.backoff.ms")
    topics_dir: str = setting(CONFIG, "topics.dir")
    directory_delim: str = setting(CONFIG, "directory.delim")
    file_delim: str = setting(CONFIG, "file.delim")
    format: str = setting(CONFIG, "format.class", _format)
    flush_size: int = setting(CONFIG, "flush.size")
    rotate_interval_ms: int = setting(CONFIG, "rotate.interval.ms")
    rotate_schedule_interval_ms: int = setting(CONFIG, "rotate.schedule.interval.ms")
    zero_pad_width: int = setting(CONFIG, "filename.offset.zero.pad.width")
    avro_codec: str = setting(CONFIG, "avro.codec", str.lower)
    parquet_codec: str = setting(CONFIG, "parquet.codec", str.lower)
    bytearray_extension: str = setting(CONFIG, "format.bytearray.extension")
    bytearray_separator: bytes = setting(CONFIG, "format.bytearray.separator", _separator)
    json_decimal_format: str = setting(CONFIG, "json.decimal.format", str.upper)
    null_values: str = setting(CONFIG, "behavior.on.null.values", str.lower)
    rotate_on_partition_change: bool = setting(CONFIG, "rotate.file.on.partition.change")
    partitioner: str = setting(CONFIG, "partitioner.class", _partitioner)
    partition_fields: tuple[str, ...] = setting(CONFIG, "partition.field.name", tuple)
    path_format: str = setting(CONFIG, "path.format")
    partition_duration_ms: int = setting(CONFIG, "partition.duration.ms")
    locale: str = setting(CONFIG, "locale")
    timezone: str = setting(CONFIG, "timezone")
    timestamp_extractor: str = setting(CONFIG, "timestamp.extractor", _extractor)
    timestamp_field: str = setting(CONFIG, "timestamp.field")

    @classmethod
    def from_config(cls, c: Mapping[str, Any]) -> S3SinkSettings:
        """Settings from a validated config (`ParsedConfig` or a dict of typed values)."""
        return settings_from(cls, c)

    @property
    def time_based(self) -> bool:
        """True for the TimeBased, Daily and Hourly partitioners."""
        return self.partitioner in ("time", "daily", "hourly")


def validate(values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
    """Confluent's cross-key rules (each reported on the key a user must change)."""
    issues: list[ConfigIssue] = []
    fmt = _simple_class(str(values.get("format.class", "")), FORMATS, FORMAT_PACKAGE)
    partitioner = _simple_class(str(values.get("partitioner.class", "")), PARTITIONERS, PARTITIONER_PACKAGE)
    if str(values.get("s3.compression.type", "none")).lower() == "gzip" and fmt not in (None, "json", "bytearray"):
        issues.append(ConfigIssue("s3.compression.type",
                                  "gzip is only supported with JsonFormat and ByteArrayFormat"))
    if str(values.get("behavior.on.null.values", "")).lower() == "write":
        issues.append(ConfigIssue("behavior.on.null.values",
                                  "write requires store.kafka.keys=true, which this connector does not support"))
    for key in ("store.kafka.keys", "store.kafka.headers"):
        if values.get(key):
            issues.append(ConfigIssue(key, "keys and headers files are not supported; must be false"))
    if str(values.get("schema.compatibility", "NONE")).upper() != "NONE":
        issues.append(ConfigIssue("schema.compatibility", "only NONE is supported"))
    if values.get("rotate.schedule.interval.ms", -1) > 0 and not values.get("timezone"):
        issues.append(ConfigIssue("timezone", "is required when rotate.schedule.interval.ms is set"))
    if partitioner == "field":
        fields = values.get("partition.field.name") or []
        if not fields:
            issues.append(ConfigIssue("partition.field.name", "is required by FieldPartitioner"))
        for name in fields:
            if not name or any(not part for part in name.split(".")):
                issues.append(ConfigIssue("partition.field.name", f"invalid field name {name!r}"))
    if partitioner in ("time", "daily", "hourly"):
        delim = values.get("directory.delim", "/")
        path_format = str(values.get("path.format", ""))
        if partitioner == "time":
            if not path_format.strip() or path_format == delim:
                issues.append(ConfigIssue("path.format", "is required by TimeBasedPartitioner"))
            if values.get("partition.duration.ms", -1) < 0:
                issues.append(ConfigIssue("partition.duration.ms", "is required by TimeBasedPartitioner (>= 0)"))
        for key in ("locale", "timezone"):
            if not values.get(key):
                issues.append(ConfigIssue(key, f"is required by {partitioner.title()}Partitioner"
                                          if partitioner != "time" else "is required by TimeBasedPartitioner"))
        extractor = str(values.get("timestamp.extractor", "Wallclock")).rsplit(".", 1)[-1]
        if extractor.startswith("RecordField") and not values.get("timestamp.field"):
            issues.append(ConfigIssue("timestamp.field", "is required by the RecordField extractor"))
    tz = values.get("timezone")
    if tz:
        try:
            zone(tz)
        except ValueError as exc:
            issues.append(ConfigIssue("timezone", str(exc)))
    return issues
