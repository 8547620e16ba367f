"""Configuration of the SQL connectors: Confluent's JDBC keys, declared once, and the connection URL.

`connection.url` may be a SQLAlchemy URL (`postgresql+psycopg://…`, `sqlite:///file.db`) or a
JDBC URL (`jdbc:postgresql://host:5432/db?user=u&password=p`, `jdbc:sqlite:path.db`);
`connection.user`/`connection.password` override the URL's. `safe_url` gives the URL with its
password hidden, for messages: a secret never reaches a log line or an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType, Password, at_least
from pyconnect_flow.config.unsupported import UnsupportedKey as U
from pyconnect_flow.config.unsupported import unsupported_keys

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

INSERT_MODES = ("insert", "upsert", "update")
PK_MODES = ("none", "kafka", "record_key", "record_value")
QUOTE_MODES = ("always", "never")
SOURCE_MODES = ("bulk", "incrementing", "timestamp", "timestamp+incrementing")
DEFAULT_KAFKA_PK_NAMES = ("__connect_topic", "__connect_partition", "__connect_offset")
_JDBC_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
                 "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql", "oracle": "oracle+oracledb",
                 "sqlserver": "mssql+pymssql"}


def enum(*choices: str) -> Any:
    """Validator of Confluent's enum keys: a choice written all lower-case or all upper-case."""
    def check(value: Any) -> str | None:
        text = str(value)
        if text.lower() in choices and text in (text.lower(), text.upper()):
            return None
        return f"Invalid enumerator {text!r}; must be one of {', '.join(choices)}"
    return check


def _timezone(value: Any) -> str | None:
    try:
        zone_info(str(value))
    except Exception:  # noqa: BLE001 - any failure means "not a zone"
        return f"Invalid time zone identifier {value!r}"
    return None


def zone_info(name: str) -> dt.tzinfo:
    """A `tzinfo` for a Java time zone id (`UTC`, `Europe/Paris`, `GMT+2` is not supported)."""
    if name.upper() in ("UTC", "Z", "GMT"):
        return dt.timezone.utc
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _url_problem(value: Any) -> str | None:
    try:
        connection_url({"connection.url": value})
    except ValueError as exc:
        return str(exc)
    return None


CONNECTION_CONFIG = ConfigDef([
    ConfigKey("connection.url", ConfigType.STRING, doc="JDBC or SQLAlchemy connection URL.", importance="high",
              validator=lambda v: _url_problem(v), secret=True),
    ConfigKey("connection.user", ConfigType.STRING, None, "JDBC connection user."),
    ConfigKey("connection.password", ConfigType.PASSWORD, None, "JDBC connection password."),
    ConfigKey("connection.attempts", ConfigType.INT, 3, "Maximum number of attempts to connect.",
              validator=at_least(1)),
    ConfigKey("connection.backoff.ms", ConfigType.LONG, 10000, "Backoff between connection attempts.",
              validator=at_least(0)),
])

SINK_CONFIG = CONNECTION_CONFIG.merged(ConfigDef([
    ConfigKey("insert.mode", ConfigType.STRING, "insert", "insert, upsert or update.", validator=enum(*INSERT_MODES)),
    ConfigKey("pk.mode", ConfigType.STRING, "none", "none, kafka, record_key or record_value.",
              validator=enum(*PK_MODES)),
    ConfigKey("pk.fields", ConfigType.LIST, [], "Primary key field names (meaning depends on pk.mode)."),
    ConfigKey("fields.whitelist", ConfigType.LIST, [], "Value fields to write (empty: all). Key fields are kept."),
    ConfigKey("table.name.format", ConfigType.STRING, "${topic}",
              "Destination table name; ${topic} is replaced by the record's topic."),
    ConfigKey("table.types", ConfigType.LIST, ["TABLE"], "Table types written to (TABLE, PARTITIONED TABLE, VIEW)."),
    ConfigKey("auto.create", ConfigType.BOOLEAN, False, "Create missing tables (CREATE TABLE)."),
    ConfigKey("auto.evolve", ConfigType.BOOLEAN, False, "Add missing columns (ALTER TABLE … ADD)."),
    ConfigKey("delete.enabled", ConfigType.BOOLEAN, False, "Tombstones delete the row with the record's key."),
    ConfigKey("batch.size", ConfigType.INT, 3000, "Rows per batched statement (generic dialects).",
              validator=at_least(1)),
    ConfigKey("quote.sql.identifiers", ConfigType.STRING, "always", "always or never.", validator=enum(*QUOTE_MODES)),
    ConfigKey("max.retries", ConfigType.INT, 10, "Retries of a failed write before the task fails.",
              validator=at_least(0)),
    ConfigKey("retry.backoff.ms", ConfigType.INT, 3000, "Wait before retrying a failed write.",
              validator=at_least(0)),
    ConfigKey("db.timezone", ConfigType.STRING, "UTC", "Time zone of Time and Timestamp values written.",
              validator=_timezone),
    ConfigKey("replace.null.with.default", ConfigType.BOOLEAN, True, "Write a field's default for a null value."),
    ConfigKey("dialect.name", ConfigType.STRING, "", "(Ignored: the dialect comes from the URL.)"),
]))

SOURCE_CONFIG = CONNECTION_CONFIG.merged(ConfigDef([
    ConfigKey("mode", ConfigType.STRING, "", "bulk, incrementing, timestamp or timestamp+incrementing."),
    ConfigKey("table.whitelist", ConfigType.LIST, [], "Tables to copy (empty: all)."),
    ConfigKey("table.blacklist", ConfigType.LIST, [], "Tables not to copy."),
    ConfigKey("table.types", ConfigType.LIST, ["TABLE"], "Table types to copy (TABLE, VIEW)."),
    ConfigKey("query", ConfigType.STRING, "", "A query to run instead of copying tables."),
    ConfigKey("incrementing.column.name", ConfigType.STRING, "", "A strictly increasing column."),
    ConfigKey("timestamp.column.name", ConfigType.LIST, [], "Timestamp columns (COALESCEd in order)."),
    ConfigKey("timestamp.delay.interval.ms", ConfigType.LONG, 0,
              "How long after a row's timestamp it is read (lets slower transactions commit).",
              validator=at_least(0)),
    ConfigKey("poll.interval.ms", ConfigType.INT, 5000, "How often each table is polled.", validator=at_least(1)),
    ConfigKey("batch.max.rows", ConfigType.INT, 100, "Maximum rows per batch.", validator=at_least(1)),
    ConfigKey("topic.prefix", ConfigType.STRING, "", "Prefix of topic names (the topic in query mode)."),
    ConfigKey("schema.pattern", ConfigType.STRING, None, "Schema to list tables from (default: the user's)."),
    ConfigKey("db.timezone", ConfigType.STRING, "UTC", "Time zone of timestamp columns.", validator=_timezone),
    ConfigKey("validate.non.null", ConfigType.BOOLEAN, True, "(Accepted for compatibility.)"),
    ConfigKey("numeric.mapping", ConfigType.STRING, None, "(Accepted for compatibility.)"),
    ConfigKey("table.poll.interval.ms", ConfigType.LONG, 60000, "(Accepted: tables are listed once at start.)"),
]))


# Keys of Confluent's JDBC connectors (10.x) not implemented here: accepted at Confluent's default with a
# warning, refused otherwise (`config.unsupported`; docs/sql-connectors.md).
_CREDENTIALS = U("jdbc.credentials.provider.class", "io.confluent.connect.jdbc.util.DefaultJdbcCredentialsProvider",
                 "credentials come from connection.user and connection.password (or the URL); no provider classes")
_CALENDAR = U("date.calendar.system", "LEGACY",
              "dates and timestamps use the proleptic Gregorian calendar (as Confluent's LEGACY does after "
              "1582-10-15)")

SINK_UNSUPPORTED = unsupported_keys(
    _CREDENTIALS, _CALENDAR,
    U("date.timezone", "DB_TIMEZONE", "DATE values are written as they are, never shifted to db.timezone "
                                      "(the same as DB_TIMEZONE with db.timezone=UTC)"),
    U("timestamp.fields.list", "", "INT64 and STRING fields are not converted to TIMESTAMP columns"),
    U("timestamp.precision.mode", "microseconds", "timestamps are written with microsecond precision"),
    U("string.output.value.column.name", "record_value",
      "records whose value schema is STRING are refused, not written to a single column"),
    U("mssql.use.merge.holdlock", "true", "SQL Server upserts are written as SQLAlchemy's dialect writes them"),
    U("trim.sensitive.log", "false", "an internal key of Confluent's logging; secrets never reach the logs here"),
)

SOURCE_UNSUPPORTED = unsupported_keys(
    _CREDENTIALS, _CALENDAR,
    U("table.include.list", "", "name tables with table.whitelist (exact names, not regular expressions)"),
    U("table.exclude.list", "", "exclude tables with table.blacklist (exact names, not regular expressions)"),
    U("catalog.pattern", "", "tables are listed from schema.pattern of the connection's database"),
    U("numeric.precision.mapping", "false", "NUMERIC columns are read as Connect Decimals"),
    U("dialect.name", "", "the dialect follows connection.url"),
    U("timestamp.columns.mapping", "", "one timestamp.column.name applies to every table"),
    U("incrementing.column.mapping", "", "one incrementing.column.name applies to every table"),
    U("timestamp.initial", "", "timestamp modes start from the earliest row"),
    U("query.masked", "", "give the query with query"),
    U("quote.sql.identifiers", "always", "table and column names are always quoted"),
    U("query.suffix", "", "no suffix is appended to the queries"),
    U("transaction.isolation.mode", "DEFAULT", "queries run at the database's default isolation level"),
    U("query.retry.attempts", "-1", "a failed query fails the task (errors.* apply to records, not queries)"),
    U("max.buffer.size", "0", "a batch holds up to batch.max.rows rows"),
    U("poll.linger.ms", "5000", "a batch holds up to batch.max.rows rows and is handed on at once"),
    U("table.monitoring.startup.polling.limit.ms", "10000", "tables are listed once at start"),
    U("timestamp.granularity", "connect_logical", "timestamps are Connect Timestamp values"),
)


def names(values: list[str]) -> tuple[str, ...]:
    """The non-empty names of a LIST key, in order (a converter for `config.definition.setting`)."""
    return tuple(v for v in values if v)


def or_empty(text: str | None) -> str:
    """A STRING key's text, "" when it has none (a converter for `config.definition.setting`)."""
    return text or ""


def validate_sink(values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Cross-key rules of Confluent's JdbcSinkConfig, and the ones it only finds at the first write."""
    issues: list[ConfigIssue] = []
    pk_mode = str(values.get("pk.mode", "none")).lower()
    insert_mode = str(values.get("insert.mode", "insert")).lower()
    if values.get("delete.enabled") and pk_mode != "record_key":
        msg = "Deletes are only supported for pk.mode record_key"
        issues += [ConfigIssue("delete.enabled", msg), ConfigIssue("pk.mode", msg)]
    fields = values.get("pk.fields") or []
    if pk_mode == "kafka" and len(fields) not in (0, 3):
        issues.append(ConfigIssue("pk.fields", "PK mode for table is kafka; pk.fields must be empty or list "
                                  "exactly 3 names (topic, partition, offset)"))
    if pk_mode == "none" and insert_mode in ("upsert", "update"):
        issues.append(ConfigIssue("insert.mode", f"{insert_mode.upper()} mode requires key field names to be known: "
                                  "set pk.mode to kafka, record_key or record_value"))
    try:
        connection_url(values)
    except ValueError as exc:
        issues.append(ConfigIssue("connection.url", str(exc)))
    return issues


def validate_source(values: Mapping[str, Any]) -> list[ConfigIssue]:
    """Cross-key rules of Confluent's JdbcSourceConnectorConfig."""
    issues: list[ConfigIssue] = []
    mode = str(values.get("mode") or "")
    if not mode:
        issues.append(ConfigIssue("mode", "Query mode must be specified"))
    elif mode not in SOURCE_MODES:
        issues.append(ConfigIssue("mode", f"Invalid value {mode!r}; must be one of {', '.join(SOURCE_MODES)}"))
    if values.get("query") and (values.get("table.whitelist") or values.get("table.blacklist")):
        issues.append(ConfigIssue("query", "Do not specify table filtering (table.whitelist/table.blacklist) "
                                  "when using the query config"))
    if values.get("table.whitelist") and values.get("table.blacklist"):
        issues.append(ConfigIssue("table.whitelist", "table.whitelist and table.blacklist are mutually exclusive"))
    if mode in ("incrementing", "timestamp+incrementing") and not values.get("incrementing.column.name"):
        issues.append(ConfigIssue("incrementing.column.name", f"mode {mode} requires an incrementing column name"))
    if mode in ("timestamp", "timestamp+incrementing") and not values.get("timestamp.column.name"):
        issues.append(ConfigIssue("timestamp.column.name", f"mode {mode} requires a timestamp column name"))
    prefix = str(values.get("topic.prefix") or "")
    if len(prefix) > 249 or any(not (c.isascii() and (c.isalnum() or c in "._-")) for c in prefix):
        issues.append(ConfigIssue("topic.prefix", "must be at most 249 characters of [a-zA-Z0-9._-]"))
    try:
        connection_url(values)
    except ValueError as exc:
        issues.append(ConfigIssue("connection.url", str(exc)))
    return issues


@dataclass(frozen=True)
class _JdbcParts:
    drivername: str
    host: str | None
    port: int | None
    database: str | None
    query: dict[str, str]
    user: str | None
    password: str | None


def _parse_jdbc(url: str) -> _JdbcParts:
    rest = url[len("jdbc:"):]
    sub, _, tail = rest.partition(":")
    sub = sub.lower()
    if sub == "sqlite":
        path = tail.split("?", 1)[0]
        if path.startswith("//"):
            path = path[2:]
        return _JdbcParts("sqlite", None, None, None if path in ("", ":memory:") else path, {}, None, None)
    if sub not in _JDBC_DRIVERS or not tail.startswith("//"):
        raise ValueError(f"unsupported JDBC URL scheme 'jdbc:{sub}' (use a SQLAlchemy URL instead)")
    tail = tail.replace(";", "&") if sub == "sqlserver" else tail
    parts = urlsplit("x:" + tail)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    user = query.pop("user", None) or (unquote(parts.username) if parts.username else None)
    password = query.pop("password", None) or (unquote(parts.password) if parts.password else None)
    if sub in ("postgresql", "postgres") and "ssl" in query:
        ssl = query.pop("ssl")
        query.setdefault("sslmode", "require" if ssl.lower() == "true" else "disable")
    for jdbc_only in ("currentSchema", "ApplicationName", "loggerLevel", "prepareThreshold", "reWriteBatchedInserts"):
        query.pop(jdbc_only, None)
    return _JdbcParts(_JDBC_DRIVERS[sub], parts.hostname, parts.port, unquote(parts.path.lstrip("/")) or None,
                      query, user, password)


def connection_url(values: Mapping[str, Any]) -> URL:
    """The SQLAlchemy URL for `connection.url` (+ `connection.user`/`connection.password`).

    ValueError (whose message never shows a password) when the URL cannot be used.
    """
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    raw = str(values.get("connection.url") or "").strip()
    if not raw:
        raise ValueError("missing connection URL")
    if raw.lower().startswith("jdbc:"):
        p = _parse_jdbc(raw)
        url = URL.create(p.drivername, p.user, p.password, p.host, p.port, p.database, p.query)
    else:
        try:
            url = make_url(raw)
        except ArgumentError:
            raise ValueError("not a SQLAlchemy or JDBC URL") from None
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":  # a file: no user, no password
        return url
    user = values.get("connection.user")
    if user:
        url = url.set(username=user)
    password = values.get("connection.password")
    text = password.value if isinstance(password, Password) else password
    if text:
        url = url.set(password=text)
    return url


def safe_url(url: URL) -> str:
    """The URL as text with its password hidden, for messages."""
    return url.render_as_string(hide_password=True)
