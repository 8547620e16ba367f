"""SQL databases through SQLAlchemy: Confluent's JDBC sink and source connectors.

- `SqlSinkConnector` (`io.confluent.connect.jdbc.JdbcSinkConnector`, alias `SqlSink`): topics →
  tables, insert / upsert / update, deletes on tombstones, auto.create / auto.evolve, exactly-once
  results; PostgreSQL through COPY + one merge statement per table and epoch.
- `SqlSourceConnector` (`io.confluent.connect.jdbc.JdbcSourceConnector`, alias `SqlSource`):
  tables → topics in bulk, incrementing, timestamp or timestamp+incrementing mode.

Modules, each with one job: `config` (keys, URLs), `types` (Connect ⇄ SQL types), `rows` (pk.mode →
columns and rows), `tables` (create / evolve), `writers` (dialect fast paths), `engine` (engines,
error classes), `sink`, `source`, `connector`. SQLAlchemy and psycopg are imported lazily.
"""

from __future__ import annotations

from pyconnect_flow.connectors.sql.connector import SqlSinkConnector, SqlSourceConnector
from pyconnect_flow.contract.connector import Connector

__all__ = ["CONNECTORS", "SqlSinkConnector", "SqlSourceConnector"]

CONNECTORS: list[type[Connector]] = [SqlSinkConnector, SqlSourceConnector]
