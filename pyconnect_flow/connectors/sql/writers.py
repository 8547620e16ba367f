"""Dialect writers: how one batch of rows reaches one table, inside the caller's transaction.

- `PostgresCopyWriter`: `COPY` (psycopg 3 `cursor.copy`; binary rows, or text data built in bulk from columns by
  `copy_text`, `write_text`) into a temporary staging table, then one
  statement: `INSERT … SELECT` (insert), `INSERT … ON CONFLICT (key) DO UPDATE` (upsert),
  `UPDATE … FROM` (update) or `DELETE … USING` (deletes). Staging tables are dropped at commit.
- `GenericWriter`: SQLAlchemy Core statements run with executemany in chunks of `batch.size`
  (SQLite, MySQL, …); upserts use the dialect's `ON CONFLICT`/`ON DUPLICATE KEY`, or delete-then-insert
  where the dialect has neither.

Neither ever runs one statement per record. Rows are tuples in the order of `names`; key columns
(`keys`) are a prefix of `names`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Protocol

Row = tuple[Any, ...]


class BatchWriter(Protocol):
    """Writes rows of one table with one or a few statements."""

    def write(self, conn: Any, table: Any, mode: str, names: Sequence[str], keys: Sequence[str],
              rows: Sequence[Row]) -> None:
        """Insert, upsert or update `rows` (mode "insert" | "upsert" | "update")."""

    def delete(self, conn: Any, table: Any, keys: Sequence[str], rows: Sequence[Row]) -> None:
        """Delete the rows whose key columns equal `rows` (key tuples)."""


def _chunks(rows: Sequence[Row], size: int) -> list[Sequence[Row]]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


class GenericWriter:
    """SQLAlchemy executemany in chunks of `batch_size`."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    def write(self, conn: Any, table: Any, mode: str, names: Sequence[str], keys: Sequence[str],
              rows: Sequence[Row]) -> None:
        import sqlalchemy as sa

        if mode == "update":
            values = [n for n in names if n not in keys]
            if not values:
                return
            update: Any = sa.update(table).where(*(table.c[k] == sa.bindparam(f"k_{i}") for i, k in enumerate(keys)))
            update = update.values({table.c[v]: sa.bindparam(f"v_{i}") for i, v in enumerate(values)})
            nkeys = len(keys)
            for chunk in _chunks(rows, self.batch_size):
                params = [{**{f"k_{i}": r[i] for i in range(nkeys)},
                           **{f"v_{i}": r[nkeys + i] for i in range(len(values))}} for r in chunk]
                conn.execute(update, params)
            return
        stmt: Any
        if mode == "upsert":
            stmt = self._upsert(conn, table, names, keys)
            if stmt is None:  # no native upsert: delete the keys, then insert
                self.delete(conn, table, keys, [r[: len(keys)] for r in rows])
                stmt = sa.insert(table)
        else:
            stmt = sa.insert(table)
        for chunk in _chunks(rows, self.batch_size):
            conn.execute(stmt, [dict(zip(names, r)) for r in chunk])

    def _upsert(self, conn: Any, table: Any, names: Sequence[str], keys: Sequence[str]) -> Any:
        dialect = conn.dialect.name
        values = [n for n in names if n not in keys]
        stmt: Any
        if dialect in ("postgresql", "sqlite"):
            from sqlalchemy.dialects import postgresql, sqlite

            stmt = (postgresql if dialect == "postgresql" else sqlite).insert(table)
            if not values:
                return stmt.on_conflict_do_nothing(index_elements=list(keys))
            return stmt.on_conflict_do_update(index_elements=list(keys),
                                              set_={v: stmt.excluded[v] for v in values})
        if dialect in ("mysql", "mariadb"):
            from sqlalchemy.dialects.mysql import insert as mysql_insert

            stmt = mysql_insert(table)
            return stmt.on_duplicate_key_update({v: stmt.inserted[v] for v in values or keys[:1]})
        return None

    def delete(self, conn: Any, table: Any, keys: Sequence[str], rows: Sequence[Row]) -> None:
        import sqlalchemy as sa

        stmt = sa.delete(table).where(*(table.c[k] == sa.bindparam(f"k_{i}") for i, k in enumerate(keys)))
        for chunk in _chunks(rows, self.batch_size):
            conn.execute(stmt, [{f"k_{i}": v for i, v in enumerate(r)} for r in chunk])


# Column types whose binary COPY form psycopg writes from the Python values Connect data holds.
_BINARY_SAFE_OIDS = frozenset({16, 17, 20, 21, 23, 25, 700, 701, 1043, 1082, 1083, 1114, 1700})


class PostgresCopyWriter:
    """COPY into a staging table, then one set-based statement (PostgreSQL, psycopg 3).

    COPY uses the binary format (about twice as fast as text) when every column has a plain type;
    should a value not fit its binary form (say, a Python float for a NUMERIC column of a table
    made by hand), the COPY is redone in text format inside a savepoint, so no row is blamed for it.
    """

    _counter = itertools.count()

    def __init__(self) -> None:
        self._oids: dict[tuple[str, tuple[str, ...]], list[int]] = {}

    def _new_stage(self, conn: Any, cur: Any, table: Any, names: Sequence[str]) -> tuple[str, str, Any, str, list[int]]:
        """A temporary staging table of `names` shaped like `table`: (target, stage, preparer, column list,
        the staged columns' type oids)."""
        preparer = conn.dialect.identifier_preparer
        target = preparer.format_table(table)
        stage = preparer.quote_identifier(f"pcf_stage_{next(self._counter)}")
        cols = ", ".join(preparer.quote_identifier(n) for n in names)
        cur.execute(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {target} WITH NO DATA")
        return target, stage, preparer, cols, self._column_oids(cur, target, stage, names, cols)

    def _stage(self, conn: Any, table: Any, names: Sequence[str], rows: Sequence[Row]) -> tuple[str, str, Any]:
        with conn.connection.driver_connection.cursor() as cur:
            target, stage, preparer, cols, oids = self._new_stage(conn, cur, table, names)
            if oids and all(oid in _BINARY_SAFE_OIDS for oid in oids):
                savepoint = conn.begin_nested()
                try:
                    self._copy(cur, f"COPY {stage} ({cols}) FROM STDIN (FORMAT BINARY)", rows, oids)
                    savepoint.commit()
                    return target, stage, preparer
                except Exception:  # noqa: BLE001 - a value without a binary form: text format below
                    savepoint.rollback()
            self._copy(cur, f"COPY {stage} ({cols}) FROM STDIN", rows, None)
        return target, stage, preparer

    def _column_oids(self, cur: Any, target: str, stage: str, names: Sequence[str], cols: str) -> list[int]:
        """The type oids of the staging table's columns (cached per table and column list)."""
        oids = self._oids.get((target, tuple(names)))
        if oids is None:
            cur.execute(f"SELECT {cols} FROM {stage} LIMIT 0")
            oids = self._oids[(target, tuple(names))] = [d.type_code for d in cur.description or ()]
        return oids

    @staticmethod
    def _copy(cur: Any, statement: str, rows: Sequence[Row], oids: list[int] | None) -> None:
        with cur.copy(statement) as copy:
            if oids is not None:
                copy.set_types(oids)
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def write(self, conn: Any, table: Any, mode: str, names: Sequence[str], keys: Sequence[str],
              rows: Sequence[Row]) -> None:
        target, stage, p = self._stage(conn, table, names, rows)
        self._merge(conn, target, stage, p, mode, names, keys)

    def write_text(self, conn: Any, table: Any, mode: str, names: Sequence[str], keys: Sequence[str], text: str,
                   types: Sequence[frozenset[int]]) -> bool:
        """`write` for rows given as text COPY data (`copy_text`): False, and nothing written, when a column's
        type (oid) is not among those `types[j]` its text was written for."""
        with conn.connection.driver_connection.cursor() as cur:
            target, stage, preparer, cols, oids = self._new_stage(conn, cur, table, names)
            if len(oids) != len(types) or any(oid not in wanted for oid, wanted in zip(oids, types)):
                return False
            with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
                copy.write(text)
        self._merge(conn, target, stage, preparer, mode, names, keys)
        return True

    def _merge(self, conn: Any, target: str, stage: str, p: Any, mode: str, names: Sequence[str],
               keys: Sequence[str]) -> None:
        """The one statement moving the staged rows into the table (insert, upsert or update)."""
        q = p.quote_identifier
        cols = ", ".join(q(n) for n in names)
        values = [n for n in names if n not in keys]
        if mode == "update":
            if not values:
                return
            sets = ", ".join(f"{q(v)} = s.{q(v)}" for v in values)
            match = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in keys)
            sql = f"UPDATE {target} AS t SET {sets} FROM {stage} AS s WHERE {match}"
        else:
            sql = f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage}"
            if mode == "upsert":
                conflict = ", ".join(q(k) for k in keys)
                if values:
                    sets = ", ".join(f"{q(v)} = EXCLUDED.{q(v)}" for v in values)
                    sql += f" ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
                else:
                    sql += f" ON CONFLICT ({conflict}) DO NOTHING"
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute(sql)

    def delete(self, conn: Any, table: Any, keys: Sequence[str], rows: Sequence[Row]) -> None:
        target, stage, p = self._stage(conn, table, keys, rows)
        match = " AND ".join(f"t.{p.quote_identifier(k)} = s.{p.quote_identifier(k)}" for k in keys)
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute(f"DELETE FROM {target} AS t USING {stage} AS s WHERE {match}")


def writer_for(dialect: str, batch_size: int) -> BatchWriter:
    """The fastest writer for a dialect."""
    if dialect == "postgresql":
        return PostgresCopyWriter()
    return GenericWriter(batch_size)
