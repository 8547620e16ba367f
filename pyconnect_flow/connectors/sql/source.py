"""`SqlSource`: tables (or a query) → records, as Confluent's JDBC source connector.

One source partition per table (key = table name; `"query"` in query mode). Each poll runs
`SELECT * FROM t` plus the mode's criteria and streams the result in batches of
`batch.max.rows`:

| mode | criteria |
|---|---|
| bulk | none: the whole table each poll |
| incrementing | `WHERE inc > ? ORDER BY inc` |
| timestamp | `WHERE ts > ? AND ts < ? ORDER BY ts` |
| timestamp+incrementing | `WHERE ts < ? AND ((ts = ? AND inc > ?) OR ts > ?) ORDER BY ts, inc` |

`ts` is the timestamp column, or `COALESCE` of several; the upper bound is now minus
`timestamp.delay.interval.ms`. The position (Bytewax recovery) is Confluent's offset:
`{"incrementing": n, "timestamp": epoch ms, "timestamp_nanos": ns}`. In timestamp mode a
timestamp becomes the position only once a later timestamp was read (rows sharing it are never
skipped after a restart). Record values are STRUCTs named after the table, one field per column;
topic = `topic.prefix` + table. With stop-at-end each partition makes one pass.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyconnect_flow.config.definition import secret_text, setting
from pyconnect_flow.connectors.sql.config import SOURCE_CONFIG, names, or_empty, safe_url, zone_info
from pyconnect_flow.connectors.sql.engine import create_engine, describe_error
from pyconnect_flow.connectors.sql.sink import OFFSETS_TABLE
from pyconnect_flow.connectors.sql.types import connect_schema, source_value
from pyconnect_flow.contract.source import EndOfInput, RecordSource, SourceReader
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.data.schema import Schema, SchemaBuilder
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.record import Record

log = logging.getLogger(__name__)

QUERY_PARTITION = "query"


@dataclass(frozen=True, kw_only=True)
class SqlSourceSettings:
    """The typed source keys: each field names its key in `config.SOURCE_CONFIG`, whose default it takes;
    `url`, `connector` and `stop_at_end` are given."""

    url: Any
    connector: str = "sql-source"
    mode: str = setting(SOURCE_CONFIG, "mode")
    table_whitelist: tuple[str, ...] = setting(SOURCE_CONFIG, "table.whitelist", names)
    table_blacklist: tuple[str, ...] = setting(SOURCE_CONFIG, "table.blacklist", names)
    table_types: tuple[str, ...] = setting(SOURCE_CONFIG, "table.types", tuple)
    query: str = setting(SOURCE_CONFIG, "query", or_empty)
    incrementing_column: str = setting(SOURCE_CONFIG, "incrementing.column.name", or_empty)
    timestamp_columns: tuple[str, ...] = setting(SOURCE_CONFIG, "timestamp.column.name", names)
    poll_interval_ms: int = setting(SOURCE_CONFIG, "poll.interval.ms")
    batch_max_rows: int = setting(SOURCE_CONFIG, "batch.max.rows")
    topic_prefix: str = setting(SOURCE_CONFIG, "topic.prefix", or_empty)
    timestamp_delay_ms: int = setting(SOURCE_CONFIG, "timestamp.delay.interval.ms")
    db_timezone: str = setting(SOURCE_CONFIG, "db.timezone")
    schema_pattern: str | None = setting(SOURCE_CONFIG, "schema.pattern", lambda v: v or None)
    stop_at_end: bool = False
    secret: str | None = setting(SOURCE_CONFIG, "connection.password", secret_text, repr=False)


class SqlSource(RecordSource):
    """Tables of a database as partitions of records (see the module docstring)."""

    def __init__(self, settings: SqlSourceSettings) -> None:
        self.settings = settings
        self._engine: Any = None
        self._partitions: list[str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_engine": None}

    @property
    def engine(self) -> Any:
        if self._engine is None:
            self._engine = create_engine(self.settings.url, writer=False)
        return self._engine

    def preflight(self) -> None:
        try:
            self.partitions()
        except ConnectException:
            raise
        except Exception as exc:
            raise ConnectException(
                f"Connector '{self.settings.connector}': could not read tables of {safe_url(self.settings.url)}: "
                f"{describe_error(exc, self.settings.url, self.settings.secret)}") from None

    def partitions(self) -> list[str]:
        if self._partitions is None:
            self._partitions = self._list_partitions()
        return list(self._partitions)

    def _list_partitions(self) -> list[str]:
        import sqlalchemy as sa

        s = self.settings
        if s.query:
            return [QUERY_PARTITION]
        inspector = sa.inspect(self.engine)
        names = list(inspector.get_table_names(schema=s.schema_pattern))
        if any(t.upper() == "VIEW" for t in s.table_types):
            names += inspector.get_view_names(schema=s.schema_pattern)
        if not any(t.upper() == "TABLE" for t in s.table_types):
            names = [n for n in names if n not in inspector.get_table_names(schema=s.schema_pattern)]
        names = [n for n in names if n != OFFSETS_TABLE]
        if s.table_whitelist:
            missing = [t for t in s.table_whitelist if t not in names]
            if missing:
                raise ConnectException(f"Connector '{s.connector}': table.whitelist names tables that do not "
                                       f"exist: {', '.join(missing)}")
            names = [t for t in s.table_whitelist]
        names = [n for n in names if n not in s.table_blacklist]
        return sorted(dict.fromkeys(names))

    def open(self, partition: str, position: Any | None) -> TableReader:
        return TableReader(self, partition, position)


def _epoch_parts(value: dt.datetime, tz: dt.tzinfo) -> tuple[int, int]:
    """(epoch ms, nanos within the second) of a naive wall-clock time in `tz` (or an aware one)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros // 1000, (micros % 1_000_000) * 1000


def _from_epoch(ms: int, nanos: int | None, tz: dt.tzinfo) -> dt.datetime:
    seconds = ms // 1000
    micros = (nanos // 1000) if nanos is not None else (ms % 1000) * 1000
    aware = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=seconds, microseconds=micros)
    return aware.astimezone(tz).replace(tzinfo=None)


class TableReader(SourceReader):
    """Polls one table (or the query) from a position; streams each poll's result in batches."""

    def __init__(self, source: SqlSource, partition: str, position: Any | None) -> None:
        s = source.settings
        self.source = source
        self.settings = s
        self.partition = partition
        self.tz = zone_info(s.db_timezone)
        pos = dict(position) if isinstance(position, Mapping) else {}
        self._inc: int | None = pos.get("incrementing")
        self._ts_ms: int | None = pos.get("timestamp")
        self._ts_nanos: int | None = pos.get("timestamp_nanos")
        self._pending_ts: tuple[int, int] | None = None   # last timestamp read, not yet safe to store
        self._topic = s.topic_prefix + (partition if partition != QUERY_PARTITION else "")
        self._source_partition = {"query": "query"} if partition == QUERY_PARTITION else {"table": partition}
        self._conn: Any = None
        self._result: Any = None
        self._next_poll: dt.datetime | None = None
        self._passes = 0
        self._schema: Schema | None = None
        self._columns: list[tuple[str, Schema]] = []
        self._table: Any = None

    # SourceReader -----------------------------------------------------------

    def read(self) -> list[Record]:
        if self._result is None:
            if self._passes and self.settings.stop_at_end:
                raise EndOfInput()
            now = dt.datetime.now(dt.timezone.utc)
            if self._next_poll is not None and now < self._next_poll:
                return []
            self._start()
        rows = self._result.fetchmany(self.settings.batch_max_rows)
        if not rows:
            self._finish()
            if self.settings.stop_at_end:
                raise EndOfInput()
            return []
        return [self._record(row) for row in rows]

    def position(self) -> Any:
        if self.settings.mode == "bulk":
            return None
        mode = self.settings.mode
        pos: dict[str, Any] = {}
        if self._inc is not None and "incrementing" in mode:
            pos["incrementing"] = self._inc
        if self._ts_ms is not None and "timestamp" in mode:
            pos["timestamp"] = self._ts_ms
            pos["timestamp_nanos"] = self._ts_nanos
        return pos

    def wake_at(self) -> dt.datetime | None:
        return self._next_poll if self._result is None else None

    def close(self) -> None:
        self._close_result()

    # internals --------------------------------------------------------------

    def _close_result(self) -> None:
        if self._result is not None:
            self._result.close()
            self._result = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _finish(self) -> None:
        self._close_result()
        if self._pending_ts is not None:  # the whole result was read: its last timestamp is complete
            self._ts_ms, self._ts_nanos = self._pending_ts
            self._pending_ts = None
        self._passes += 1
        self._next_poll = dt.datetime.now(dt.timezone.utc) + dt.timedelta(milliseconds=self.settings.poll_interval_ms)

    def _ts_expr(self, column: Any) -> Any:
        import sqlalchemy as sa

        cols = [column(c) for c in self.settings.timestamp_columns]
        return cols[0] if len(cols) == 1 else sa.func.coalesce(*cols)

    def _start(self) -> None:
        import sqlalchemy as sa

        s = self.settings
        engine = self.source.engine
        try:
            self._conn = engine.connect()
            if self.partition == QUERY_PARTITION:
                selectable: Any = sa.text(s.query).columns().subquery("pcf_query")
            else:
                if self._table is None:
                    self._table = sa.Table(sa.sql.quoted_name(self.partition, True), sa.MetaData(),
                                           schema=s.schema_pattern, autoload_with=self._conn)
                    # str(): reflected names may be SQLAlchemy `quoted_name`s, which JSON encoders refuse as keys
                    self._columns = [(str(c.name), connect_schema(c.type, bool(c.nullable)))
                                     for c in self._table.columns]
                    self._schema = self._build_schema(self._columns)
                selectable = self._table

            def column(name: str) -> Any:
                if self.partition == QUERY_PARTITION:
                    return sa.column(sa.sql.quoted_name(name, True))
                return selectable.c[name]

            stmt = sa.select(sa.text("*")).select_from(selectable) if self.partition == QUERY_PARTITION \
                else sa.select(selectable)
            mode = s.mode
            params: dict[str, Any] = {}
            if mode in ("incrementing", "timestamp+incrementing"):
                inc = column(s.incrementing_column)
                last_inc = self._inc if self._inc is not None else -1
            if mode in ("timestamp", "timestamp+incrementing"):
                ts = self._ts_expr(column)
                begin = _from_epoch(self._ts_ms or 0, self._ts_nanos, self.tz)
                end = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(milliseconds=s.timestamp_delay_ms)
                       ).astimezone(self.tz).replace(tzinfo=None)
            if mode != "bulk" and "timestamp" in mode and engine.dialect.name == "sqlite":
                # SQLite keeps timestamps as text in several formats: compare them as julian days.
                ts = sa.func.julianday(ts)
                lower: Any = sa.func.julianday(begin.isoformat(" "))
                upper: Any = sa.func.julianday(end.isoformat(" "))
            elif "timestamp" in mode:
                lower, upper = begin, end
            if mode == "incrementing":
                stmt = stmt.where(inc > sa.bindparam("inc", last_inc)).order_by(inc.asc())
            elif mode == "timestamp":
                stmt = stmt.where(ts > _param("b", lower), ts < _param("e", upper)).order_by(ts.asc())
            elif mode == "timestamp+incrementing":
                b = _param("b", lower)
                stmt = stmt.where(ts < _param("e", upper),
                                  sa.or_(sa.and_(ts == b, inc > sa.bindparam("inc", last_inc)), ts > b)
                                  ).order_by(ts.asc(), inc.asc())
            self._result = self._conn.execution_options(stream_results=True).execute(stmt, params)
        except Exception as exc:
            self._close_result()
            raise ConnectException(
                f"Connector '{s.connector}' failed to query {self.partition!r} in {safe_url(s.url)}: "
                f"{describe_error(exc, s.url, s.secret)}") from None

    def _build_schema(self, columns: list[tuple[str, Schema]]) -> Schema:
        builder = SchemaBuilder.struct().name(self.partition if self.partition != QUERY_PARTITION else "query")
        for name, schema in columns:
            builder.field(name, schema)
        return builder.build()

    def _query_schema(self, row: Any) -> None:
        from pyconnect_flow.connectors.sql.types import infer_value_schema

        mapping = dict(row._mapping)
        inferred = infer_value_schema({k: v for k, v in mapping.items() if not isinstance(v, (dt.date, dt.time))},
                                      self._topic)
        columns: list[tuple[str, Schema]] = []
        for key, value in mapping.items():
            name = str(key)
            f = inferred.field(name)
            if f is not None:
                columns.append((name, f.schema))
            elif isinstance(value, dt.datetime):
                columns.append((name, connect_schema(_sa_datetime(), True)))
            elif isinstance(value, dt.date):
                columns.append((name, connect_schema(_sa_date(), True)))
            else:
                columns.append((name, SchemaBuilder.string().optional().build()))
        self._columns = columns
        self._schema = self._build_schema(columns)

    def _record(self, row: Any) -> Record:
        s = self.settings
        if self._schema is None:
            self._query_schema(row)
        assert self._schema is not None
        values = {name: source_value(row[i], schema, self.tz) for i, (name, schema) in enumerate(self._columns)}
        mapping = row._mapping
        if s.mode in ("incrementing", "timestamp+incrementing"):
            value = mapping[s.incrementing_column]
            if value is not None:
                self._inc = int(value)
        if s.mode in ("timestamp", "timestamp+incrementing"):
            ts_value = next((mapping[c] for c in s.timestamp_columns if mapping[c] is not None), None)
            if isinstance(ts_value, str):
                ts_value = dt.datetime.fromisoformat(ts_value)
            if isinstance(ts_value, dt.datetime):
                parts = _epoch_parts(ts_value, self.tz)
                if s.mode == "timestamp+incrementing":
                    self._ts_ms, self._ts_nanos = parts
                elif self._pending_ts is None or parts > self._pending_ts:
                    # every row of the previous timestamp has been read now
                    if self._pending_ts is not None:
                        self._ts_ms, self._ts_nanos = self._pending_ts
                    self._pending_ts = parts
        return Record(self._topic, None, Struct.unchecked(self._schema, values), None, None, None, self._schema,
                      (), None, self._source_partition, self.position())


def _param(name: str, value: Any) -> Any:
    """A bound timestamp, or an SQL expression already (SQLite's julianday)."""
    import sqlalchemy as sa

    if isinstance(value, dt.datetime):
        return sa.bindparam(name, value, type_=sa.DateTime)
    return value


def _sa_datetime() -> Any:
    import sqlalchemy as sa

    return sa.DateTime()


def _sa_date() -> Any:
    import sqlalchemy as sa

    return sa.Date()
