"""Destination tables: names from `table.name.format`, and creating / evolving them (DbStructure).

`TableId` holds an optional schema and the table name (`${topic}` replaced, split on `.`, cut to
the dialect's longest identifier). `TableManager.ensure` makes sure a table has the columns a
`RowPlan` writes: it creates a missing table (`auto.create`), adds missing columns as nullable
(`auto.evolve`), and never drops or narrows anything. A field whose schema has a default gets a column
`DEFAULT` of it (and no `NOT NULL`), as Confluent's `writeColumnSpec` writes it, so rows written before
an evolution read the default. Table and column names are always quoted
by SQLAlchemy's identifier preparer (`quoted_name(..., quote=True)`), so a topic such as
`x"; DROP TABLE y; --` names a strangely named table and never runs as SQL.

DDL runs in its own short transaction, before the data transaction of a flush, serialized per
process by a lock and per PostgreSQL database by an advisory lock, so concurrent writers never
race to create the same table.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyconnect_flow.connectors.sql.rows import Column
from pyconnect_flow.connectors.sql.types import default_sql, sql_type
from pyconnect_flow.data.exceptions import ConnectException


class TableAlterOrCreateException(ConnectException):
    """A table is missing or lacks columns, and may not (or cannot) be created or altered."""


@dataclass(frozen=True)
class TableId:
    """A table's schema (None: the connection's default) and name."""

    schema: str | None
    name: str

    def __str__(self) -> str:
        return f'"{self.schema}"."{self.name}"' if self.schema else f'"{self.name}"'


def table_id(name_format: str, topic: str, max_length: int, lowercase: bool = False) -> TableId:
    """The destination table of a record of `topic` (Confluent's `${topic}` substitution, `a.b` = schema.table)."""
    name = name_format.replace("${topic}", topic)
    if lowercase:
        name = name.lower()
    parts = name.split(".")
    schema = parts[-2] if len(parts) >= 2 else None
    return TableId(schema[:max_length] if schema else None, parts[-1][:max_length])


@dataclass
class TableInfo:
    """What we know of an existing table: its SQLAlchemy `Table` and key columns."""

    table: Any
    key_names: tuple[str, ...]
    lower_names: dict[str, str]


class TableManager:
    """Creates and evolves tables; caches their layout (shared by every writer of one sink)."""

    def __init__(self, engine: Any, *, auto_create: bool, auto_evolve: bool, quote: bool) -> None:
        self.engine = engine
        self.auto_create = auto_create
        self.auto_evolve = auto_evolve
        self.quote = quote
        self.dialect = engine.dialect.name
        self._lock = threading.Lock()
        self._cache: dict[TableId, TableInfo] = {}

    def name(self, text: str) -> Any:
        """An identifier SQLAlchemy always quotes (quote.sql.identifiers=always) or quotes when needed."""
        from sqlalchemy.sql import quoted_name

        return quoted_name(text, True if self.quote else None)

    def forget(self, tid: TableId | None = None) -> None:
        """Drop cached layouts (after a failed write, or of one table)."""
        with self._lock:
            if tid is None:
                self._cache.clear()
            else:
                self._cache.pop(tid, None)

    def ready(self, tid: TableId, columns: Sequence[Column]) -> bool:
        """True when `tid` is known to have every column (no DDL needed)."""
        info = self._cache.get(tid)
        return info is not None and all(c.name.lower() in info.lower_names for c in columns)

    def ensure(self, tid: TableId, columns: Sequence[Column]) -> TableInfo:
        """The table `tid`, created or evolved so that it has every column of `columns`."""
        info = self._cache.get(tid)
        if info is not None and all(c.name.lower() in info.lower_names for c in columns):
            return info
        with self._lock:
            with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    from sqlalchemy import text

                    digest = hashlib.blake2b(str(tid).encode(), digest_size=8).digest()
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                                 {"k": int.from_bytes(digest, "big", signed=True)})
                info = self._reflect(conn, tid)
                if info is None:
                    info = self._create(conn, tid, columns)
                else:
                    missing = [c for c in columns if c.name.lower() not in info.lower_names]
                    if missing:
                        info = self._alter(conn, tid, info, missing)
            self._cache[tid] = info
            return info

    def _reflect(self, conn: Any, tid: TableId) -> TableInfo | None:
        import sqlalchemy as sa

        inspector = sa.inspect(conn)
        if not inspector.has_table(tid.name, schema=tid.schema):
            return None
        schema = self.name(tid.schema) if tid.schema else None
        reflected = sa.Table(tid.name, sa.MetaData(), schema=tid.schema, autoload_with=conn)
        # A copy whose names SQLAlchemy always quotes, with the reflected types (they bind values).
        table = sa.Table(self.name(tid.name), sa.MetaData(), *(
            sa.Column(self.name(c.name), c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in reflected.columns), schema=schema)
        keys = tuple(c.name for c in reflected.primary_key.columns)
        return TableInfo(table, keys, {c.name.lower(): c.name for c in reflected.columns})

    def _column(self, column: Column) -> Any:
        import sqlalchemy as sa

        default = default_sql(column.schema, self.engine.dialect, column.name)
        return sa.Column(self.name(column.name), sql_type(column.schema, self.dialect, column.name),
                         primary_key=column.key, nullable=column.optional or default is not None,
                         server_default=None if default is None else sa.text(default), autoincrement=False)

    def _create(self, conn: Any, tid: TableId, columns: Sequence[Column]) -> TableInfo:
        import sqlalchemy as sa

        if not self.auto_create:
            raise TableAlterOrCreateException(f"Table {tid} is missing and auto-creation is disabled")
        metadata = sa.MetaData()
        table = sa.Table(self.name(tid.name), metadata, *(self._column(c) for c in columns),
                         schema=self.name(tid.schema) if tid.schema else None)
        if tid.schema and self.dialect == "postgresql":
            conn.execute(sa.schema.CreateSchema(self.name(tid.schema), if_not_exists=True))
        table.create(conn)
        keys = tuple(c.name for c in columns if c.key)
        return TableInfo(table, keys, {c.name.lower(): c.name for c in columns})

    def _alter(self, conn: Any, tid: TableId, info: TableInfo, missing: Sequence[Column]) -> TableInfo:

        for c in missing:
            if not c.optional and c.schema.default is None:
                raise TableAlterOrCreateException(
                    f"Cannot ALTER table {tid} to add missing field {c.name!r}, as the field is not optional "
                    "and does not have a default value")
        if not self.auto_evolve:
            names = ", ".join(c.name for c in missing)
            raise TableAlterOrCreateException(
                f"Table {tid} is missing fields ({names}) and auto-evolution is disabled")
        preparer = conn.dialect.identifier_preparer
        target = preparer.format_table(info.table)
        for c in missing:
            # Added columns are always nullable: existing rows have no value for them, or the schema's default.
            column_type = sql_type(c.schema, self.dialect, c.name).compile(dialect=conn.dialect)
            default = default_sql(c.schema, conn.dialect, c.name)
            spec = f"{column_type} DEFAULT {default}" if default is not None else \
                f"{column_type} NULL" if self.dialect != "sqlite" else column_type
            conn.exec_driver_sql(f"ALTER TABLE {target} ADD {preparer.quote_identifier(c.name)} {spec}"
                                 if self.dialect != "sqlite" else
                                 f"ALTER TABLE {target} ADD COLUMN {preparer.quote_identifier(c.name)} {spec}")
        refreshed = self._reflect(conn, tid)
        assert refreshed is not None
        return refreshed
