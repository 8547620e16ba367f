"""Benchmark: Kafka (embedded Tansu) → PostgreSQL (embedded) with the JDBC sink in upsert mode.

Produces N JSON-with-schema records (struct key `id`; value of 5 columns: id, name, amount,
quantity, active) to a 4-partition topic, then measures rows/s for

1. pyconnect-flow: `io.confluent.connect.jdbc.JdbcSinkConnector` (upsert, pk.mode=record_key,
   auto.create), run as `pyconnect-flow standalone` does (one process, stop at end): Kafka
   consume + JSON decode + COPY/upsert, end to end (the columnar path: keys and values decoded into
   columns, rows as columns, text COPY built in bulk); the same without start-up (minus the time of
   the same run on 1,000 records; comparable with (c), which is timed from its first record); with
   `--record-path`, the same run again with `PYCONNECT_FLOW_COLUMNAR=0` (one record per message), in the
   same run for comparison; and the same `SqlSink` fed records already decoded (the sink's own cost);
2. (a) the limit: a bare psycopg COPY of the same rows (already Python tuples) into a staging
   table plus one `INSERT … ON CONFLICT DO UPDATE` (database work only);
3. (b) SQLAlchemy executemany upserts (`insert().on_conflict_do_update()`, 3,000 rows a batch, as
   Confluent's batch.size) of the same rows (database work only);
4. (c) Quix Streams' PostgreSQLSink on the same topic, if `quixstreams` is installed.

    python benchmarks/kafka_to_postgres.py [--records 1000000] [--executemany-records 100000] [--record-path]

Targets (issue #17): pyconnect-flow end to end, start-up included, ≥ 0.6× (a) and ≥ 8× (b).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import child_environment, table  # noqa: E402

PARTITIONS = 4
STARTUP_RECORDS = 1_000
SCHEMA = {"type": "struct", "name": "bench.row", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "name", "type": "string", "optional": True},
    {"field": "amount", "type": "double", "optional": True},
    {"field": "quantity", "type": "int32", "optional": True},
    {"field": "active", "type": "boolean", "optional": True},
]}
KEY_SCHEMA = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}


def row(i: int) -> tuple[Any, ...]:
    return (i, f"name-{i}", i * 0.25, i % 1000, i % 2 == 0)


def produce(bootstrap: str, topic: str, n: int) -> None:
    from confluent_kafka import Producer

    schema = json.dumps(SCHEMA, separators=(",", ":"))
    key_schema = json.dumps(KEY_SCHEMA, separators=(",", ":"))
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
                  "queue.buffering.max.messages": 1_000_000})
    for i in range(n):
        r = row(i)
        active = "true" if r[4] else "false"
        value = (f'{{"schema":{schema},"payload":{{"id":{r[0]},"name":"{r[1]}","amount":{r[2]!r},'
                 f'"quantity":{r[3]},"active":{active}}}}}').encode()
        key = f'{{"schema":{key_schema},"payload":{{"id":{i}}}}}'.encode()
        while True:
            try:
                p.produce(topic, value, key, partition=i % PARTITIONS)
                break
            except BufferError:
                p.poll(0.05)
    p.flush(120)


def run_pyconnect(bootstrap: str, url: str, topic: str, tmp: Path, columnar: bool = True,
                  table: str = "${topic}") -> tuple[float, float]:
    """Wall seconds of `pyconnect-flow standalone` (start-up included) and the CPU seconds it used;
    `columnar` False: the record path (`PYCONNECT_FLOW_COLUMNAR=0`)."""
    import resource

    worker = tmp / "worker.properties"
    worker.write_text(f"bootstrap.servers={bootstrap}\noffset.storage.file.filename={tmp}/offsets\n"
                      "offset.flush.interval.ms=5000\n")
    conn = tmp / "sink.properties"
    conn.write_text("\n".join([
        f"name=bench-pg{'' if columnar else '-records'}", "connector.class=io.confluent.connect.jdbc.JdbcSinkConnector", f"topics={topic}",
        f"connection.url={url}", "insert.mode=upsert", "pk.mode=record_key", "auto.create=true",
        f"table.name.format={table}", "consumer.override.fetch.max.bytes=52428800", ""]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow", "standalone", str(worker), str(conn),
                           "--stop-at-end"], env=child_environment(PYCONNECT_FLOW_COLUMNAR="1" if columnar else "0"),
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


CREATE = ('CREATE TABLE "{t}" (id BIGINT PRIMARY KEY, name TEXT, amount DOUBLE PRECISION, quantity INT, '
          'active BOOLEAN)')


def run_bare_copy(pg: Any, rows: list[tuple[Any, ...]]) -> float:
    with pg.connect() as conn:
        conn.execute(CREATE.format(t="bare"))
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute('CREATE TEMP TABLE stage ON COMMIT DROP AS SELECT * FROM "bare" WITH NO DATA')
            with cur.copy("COPY stage (id, name, amount, quantity, active) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
            cur.execute('INSERT INTO "bare" SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, '
                        'amount = EXCLUDED.amount, quantity = EXCLUDED.quantity, active = EXCLUDED.active')
        conn.commit()
        return time.perf_counter() - t0


def run_executemany(url: str, rows: list[tuple[Any, ...]]) -> float:
    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import insert

    engine = sa.create_engine(url)
    meta = sa.MetaData()
    t = sa.Table("executemany", meta, sa.Column("id", sa.BigInteger, primary_key=True), sa.Column("name", sa.Text),
                 sa.Column("amount", sa.Double), sa.Column("quantity", sa.Integer), sa.Column("active", sa.Boolean))
    meta.create_all(engine)
    stmt = insert(t)
    stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={c: stmt.excluded[c] for c in
                                                                   ("name", "amount", "quantity", "active")})
    names = ("id", "name", "amount", "quantity", "active")
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(rows), 3000):
            conn.execute(stmt, [dict(zip(names, r)) for r in rows[i:i + 3000]])
    seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds


def run_sink_alone(url: str, n: int) -> float:
    """pyconnect-flow's SqlSink fed decoded records (Structs, as the JsonConverter gives them): the sink's own cost."""
    from pyconnect_flow.connectors.sql.connector import sink_settings
    from pyconnect_flow.connectors.sql.sink import SqlSink
    from pyconnect_flow.contract.sink import SinkBatch
    from pyconnect_flow.data import (
        INT64_SCHEMA,
        OPTIONAL_BOOLEAN_SCHEMA,
        OPTIONAL_FLOAT64_SCHEMA,
        OPTIONAL_INT32_SCHEMA,
        OPTIONAL_STRING_SCHEMA,
        SchemaBuilder,
        Struct,
    )
    from pyconnect_flow.engine.spec import validate_connector
    from pyconnect_flow.record import Record

    spec = validate_connector({"name": "alone", "connector.class": "JdbcSinkConnector", "topics": "alone",
                               "connection.url": url, "insert.mode": "upsert", "pk.mode": "record_key",
                               "auto.create": "true"}, {})
    sink = SqlSink(sink_settings(spec.config, "alone"))
    key_schema = SchemaBuilder.struct().field("id", INT64_SCHEMA).build()
    value_schema = (SchemaBuilder.struct().name("bench.row").field("id", INT64_SCHEMA)
                    .field("name", OPTIONAL_STRING_SCHEMA).field("amount", OPTIONAL_FLOAT64_SCHEMA)
                    .field("quantity", OPTIONAL_INT32_SCHEMA).field("active", OPTIONAL_BOOLEAN_SCHEMA).build())
    names = ["id", "name", "amount", "quantity", "active"]
    writer = sink.open("alone-0", None)
    seconds = 0.0
    for start in range(0, n, 100_000):
        records = [Record("alone", Struct.unchecked(key_schema, {"id": i}),
                          Struct.unchecked(value_schema, dict(zip(names, row(i)))), 0, i, key_schema, value_schema)
                   for i in range(start, min(n, start + 100_000))]
        t0 = time.perf_counter()
        writer.write(SinkBatch(records))
        seconds += time.perf_counter() - t0
    t0 = time.perf_counter()
    writer.flush()
    seconds += time.perf_counter() - t0
    writer.close()
    return seconds


def count(url: str, table_name: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(f'SELECT count(*) FROM "{table_name}"')).scalar_one()
    engine.dispose()
    return int(n)


QUIX = """
import sys, time, json, tempfile
from quixstreams import Application
from quixstreams.sinks.community.postgresql import PostgreSQLSink
bootstrap, topic, n, host, port, user, password, db = sys.argv[1:9]
n = int(n)
app = Application(broker_address=bootstrap, consumer_group="quix-bench", auto_offset_reset="earliest",
                  auto_create_topics=False, use_changelog_topics=False, commit_every=100000,
                  state_dir=tempfile.mkdtemp())
sink = PostgreSQLSink(host=host, port=int(port), dbname=db, user=user, password=password, table_name="quix",
                      schema_auto_update=True)
first = []
def payload(value):
    if not first:
        first.append(time.perf_counter())
    return value["payload"]
sdf = app.dataframe(app.topic(topic, value_deserializer="json"))
sdf = sdf.apply(payload)
sdf.sink(sink)
t0 = time.perf_counter()
app.run(count=n, timeout=60)
end = time.perf_counter()
print(json.dumps({"seconds": end - t0, "after_first": end - first[0]}))
"""


def run_quix(bootstrap: str, topic: str, n: int, pg: Any) -> tuple[float | None, str]:
    try:
        import quixstreams  # noqa: F401
    except ImportError:
        return None, "quixstreams is not installed"
    done = subprocess.run([sys.executable, "-c", QUIX, bootstrap, topic, str(n), pg.host, str(pg.port), pg.user,
                           pg.password, pg.database], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return None, "failed: " + done.stderr.strip().splitlines()[-1][:300] if done.stderr.strip() else "failed"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Timed from its first record: the consumer group join before it is not throughput.
    return result["after_first"], f"{result['seconds']:.1f} s with the group join"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--executemany-records", type=int, default=100_000)
    parser.add_argument("--quix-records", type=int, default=0, help="records for Quix Streams (default: --records)")
    parser.add_argument("--record-path", action="store_true",
                        help="also run pyconnect-flow on the record path (PYCONNECT_FLOW_COLUMNAR=0), same run")
    args = parser.parse_args()
    n = args.records

    from pyconnect_flow.embedded import EmbeddedKafka, EmbeddedPostgres

    with EmbeddedKafka() as kafka, EmbeddedPostgres() as pg, tempfile.TemporaryDirectory() as tmp:
        endpoint = kafka.endpoint
        topic = "bench_rows"
        endpoint.create_topic(topic, partitions=PARTITIONS)
        t0 = time.perf_counter()
        produce(endpoint.bootstrap_servers, topic, n)
        print(f"produced {n:,} records in {time.perf_counter() - t0:.1f} s", flush=True)

        ours, ours_cpu = run_pyconnect(endpoint.bootstrap_servers, pg.sqlalchemy_url, topic, Path(tmp))
        assert count(pg.sqlalchemy_url, topic) == n, "pyconnect-flow did not write every row"
        # The same run on STARTUP_RECORDS: its time is start-up (process, validation, preflight, group
        # assignment) for all practical purposes, so the difference is the streaming time.
        endpoint.create_topic(f"{topic}_startup", partitions=PARTITIONS)
        produce(endpoint.bootstrap_servers, f"{topic}_startup", STARTUP_RECORDS)
        (Path(tmp) / "startup").mkdir()
        startup, _ = run_pyconnect(endpoint.bootstrap_servers, pg.sqlalchemy_url, f"{topic}_startup",
                                   Path(tmp) / "startup")
        streaming = ours - startup
        records_path: tuple[float, float, float] | None = None
        if args.record_path:
            (Path(tmp) / "records").mkdir()
            rec, rec_cpu = run_pyconnect(endpoint.bootstrap_servers, pg.sqlalchemy_url, topic, Path(tmp) / "records",
                                         columnar=False, table="records_${topic}")
            assert count(pg.sqlalchemy_url, f"records_{topic}") == n, "the record path did not write every row"
            (Path(tmp) / "records-startup").mkdir()
            rec_startup, _ = run_pyconnect(endpoint.bootstrap_servers, pg.sqlalchemy_url, f"{topic}_startup",
                                           Path(tmp) / "records-startup", columnar=False, table="records_${topic}")
            records_path = (rec, rec_cpu, rec - rec_startup)
        rows = [row(i) for i in range(n)]
        bare = run_bare_copy(pg, rows)
        alone = run_sink_alone(pg.sqlalchemy_url, n)
        assert count(pg.sqlalchemy_url, "alone") == n
        m = min(args.executemany_records, n)
        many = run_executemany(pg.sqlalchemy_url, rows[:m]) * n / m
        quix_n = args.quix_records or n
        quix, why = run_quix(endpoint.bootstrap_servers, topic, quix_n, pg.endpoint)

    def rate(seconds: float | None, records: int = n) -> str:
        return f"{records / seconds:,.0f}" if seconds else "n/a"

    def vs(seconds: float | None, records: int = n) -> tuple[str, str, str]:
        """(pyconnect-flow end to end, the same without start-up, SqlSink alone) throughput ÷ this path's."""
        if not seconds:
            return "n/a", "n/a", "n/a"
        theirs = records / seconds
        return (f"{n / ours / theirs:.2f}", f"{(n - STARTUP_RECORDS) / streaming / theirs:.2f}",
                f"{n / alone / theirs:.2f}")

    report: list[tuple[str, ...]] = [("path", "records", "seconds", "rows/s", "end-to-end ÷ it",
                                       "without start-up ÷ it", "sink alone ÷ it")]
    report.append(("pyconnect-flow end to end (Kafka → JSON decode → COPY + upsert)", f"{n:,}", f"{ours:.1f}",
                   rate(ours), *vs(ours)))
    report.append((f"pyconnect-flow end to end, start-up excluded ({startup:.1f} s: a {STARTUP_RECORDS:,}-record run)",
                   f"{n - STARTUP_RECORDS:,}", f"{streaming:.1f}", rate(streaming, n - STARTUP_RECORDS),
                   *vs(streaming, n - STARTUP_RECORDS)))
    if records_path is not None:
        rec, rec_cpu, rec_streaming = records_path
        report.append(("pyconnect-flow end to end, record path (PYCONNECT_FLOW_COLUMNAR=0)", f"{n:,}", f"{rec:.1f}",
                       rate(rec), *vs(rec)))
        report.append(("pyconnect-flow record path, start-up excluded", f"{n - STARTUP_RECORDS:,}",
                       f"{rec_streaming:.1f}", rate(rec_streaming, n - STARTUP_RECORDS),
                       *vs(rec_streaming, n - STARTUP_RECORDS)))
    report.append(("pyconnect-flow SqlSink alone (decoded records → COPY + upsert)", f"{n:,}", f"{alone:.1f}",
                   rate(alone), *vs(alone)))
    report.append(("(a) bare psycopg COPY + one upsert (DB only)", f"{n:,}", f"{bare:.1f}", rate(bare), *vs(bare)))
    report.append((f"(b) SQLAlchemy executemany upserts (DB only; measured on {m:,}, extrapolated)", f"{n:,}",
                   f"{many:.1f}", rate(many), *vs(many)))
    if quix is not None:
        report.append((f"(c) Quix Streams PostgreSQLSink end to end (insert; from its first record; {why})",
                       f"{quix_n:,}", f"{quix:.1f}", rate(quix, quix_n), *vs(quix, quix_n)))
    else:
        report.append(("(c) Quix Streams PostgreSQLSink", "-", "-", "n/a", why, "", ""))
    print(table(report))
    print(f"pyconnect-flow end to end used {ours_cpu:.1f} CPU s ({n / ours_cpu:,.0f} records per CPU second; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} when done)")
    if records_path is not None:
        print(f"the record path used {records_path[1]:.1f} CPU s ({n / records_path[1]:,.0f} records per CPU second)")
    print(f"targets: end to end, start-up included, ≥ 0.6× (a): {(n / ours) / (n / bare):.2f}×; "
          f"≥ 8× (b): {(n / ours) / (n / many):.2f}×")


if __name__ == "__main__":
    main()
