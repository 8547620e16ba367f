"""The JDBC sink's columnar path (`connectors.sql.columns`, text COPY) against its record path, on PostgreSQL.

The same topic (`sql_columnar_data`: every plain type, nulls, keys repeated across batches, tombstones, a schema
change mid-stream, poison values) goes through `pyconnect-flow standalone` twice, with
`PYCONNECT_FLOW_COLUMNAR=0` (the record path) and with the default (the columnar path), into two tables: they
must hold the same rows, and the dead letter queues the same messages. In process, batches of decoded columns
written by a `SqlSinkWriter` must take the columnar path (pieces, text COPY) and give the tables the record
path gives, for every pk.mode and insert mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pyconnect_flow.contract.sink import SinkBatch
from pyconnect_flow.converters import create_converter
from pyconnect_flow.engine.stages import Chunk, Decoder
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.kafka_columns import DecodedColumns, KafkaColumns
from tests.connectors.sql_helpers import Collector, make_sink
from tests.integration.kafka_helpers import produce, read_topic, run_cli, worker_file, write_properties
from tests.integration.sql_columnar_data import (
    DIRTY_FROM,
    MESSAGES,
    PARTITIONS,
    WIDER_FROM,
    message,
    messages,
    poison,
    poison_count,
)


def jdbc(postgres: Any) -> str:
    return (f"jdbc:postgresql://{postgres.host}:{postgres.port}/{postgres.database}"
            f"?user={postgres.user}&password={postgres.password}")


def table_rows(postgres: Any, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    engine = sa.create_engine(postgres.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(f'SELECT * FROM "{table}" ORDER BY 1'))
            return list(result.keys()), [tuple(r) for r in result]
    finally:
        engine.dispose()


def column_types(postgres: Any, table: str) -> list[tuple[str, str]]:
    engine = sa.create_engine(postgres.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(  # type: ignore[misc]
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t "
                "ORDER BY ordinal_position"), {"t": table})]
    finally:
        engine.dispose()


def run_sink(kafka: Any, postgres: Any, tmp: Path, topic: str, name: str, **env: str) -> list[Any]:
    worker = worker_file(tmp, kafka.bootstrap_servers)
    conn = write_properties(tmp / f"{name}.properties", {
        "name": name, "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic,
        "connection.url": jdbc(postgres), "table.name.format": f"{name}_${{topic}}",
        "insert.mode": "upsert", "pk.mode": "record_key", "auto.create": "true", "auto.evolve": "true",
        "delete.enabled": "true", "errors.tolerance": "all", "errors.deadletterqueue.topic.name": f"{name}-dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true"})
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], **env)
    assert done.returncode == 0, done.stderr
    return read_topic(kafka.bootstrap_servers, f"{name}-dlq", poison_count())


def _dead_letter(m: Any) -> tuple[Any, ...]:
    headers = dict(m.headers)
    return (m.key, m.value, headers["__connect.errors.stage"], headers["__connect.errors.class.name"],
            headers["__connect.errors.partition"], headers["__connect.errors.offset"],
            headers["__connect.errors.exception.class.name"])


def test_standalone_writes_the_same_tables_and_dead_letters_both_ways(kafka: Any, postgres: Any, tmp_path: Path,
                                                                      unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=PARTITIONS)
    produce(kafka.bootstrap_servers, unique_name, messages())
    record_dlq = run_sink(kafka, postgres, tmp_path, unique_name, "rec", PYCONNECT_FLOW_COLUMNAR="0")
    column_dlq = run_sink(kafka, postgres, tmp_path, unique_name, "col")
    names, by_records = table_rows(postgres, f"rec_{unique_name}")
    column_names, by_columns = table_rows(postgres, f"col_{unique_name}")
    assert column_names == names and "note" in names
    assert column_types(postgres, f"col_{unique_name}") == column_types(postgres, f"rec_{unique_name}")
    assert by_columns == by_records
    assert 300 < len(by_records) < 400  # ids repeat; some end deleted; poison rows are not written
    assert any("\t" in (r[names.index("text")] or "") for r in by_records)
    assert sorted(map(_dead_letter, column_dlq), key=repr) == sorted(map(_dead_letter, record_dlq), key=repr)
    stages = sorted(dict(m.headers)["__connect.errors.stage"] for m in column_dlq)
    assert set(stages) == {b"VALUE_CONVERTER", b"TASK_PUT"}
    offsets = sorted((int(dict(m.headers)["__connect.errors.partition"]), int(dict(m.headers)["__connect.errors.offset"]))
                     for m in column_dlq)
    assert offsets == sorted((i % PARTITIONS, i // PARTITIONS) for i in range(MESSAGES) if poison(i))


def _decoded_batches(start: int, stop: int, size: int) -> list[DecodedColumns | list[Any]]:
    """Messages [start, stop) of partition 0 decoded in batches of `size`, as the decode stage hands them over."""
    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    value = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False)
    errors = ErrorReporter("t", ErrorPolicy.from_values({"errors.tolerance": "all"}))
    decode = Decoder(key, value, errors)
    wanted = [(i // PARTITIONS, message(i)) for i in range(start, stop) if i % PARTITIONS == 0 and not poison(i)]
    out: list[DecodedColumns | list[Any]] = []
    for b in range(0, len(wanted), size):
        part = [m for _, m in wanted[b:b + size]]
        raw = KafkaColumns("topic", 0, [offset for offset, _ in wanted[b:b + size]], [m["key"] for m in part],
                           [m["value"] for m in part], [None] * len(part), [None] * len(part))
        chunk = decode(Chunk("k", raw, None))
        decoded = chunk.unbuilt_columns
        out.append(decoded if decoded is not None else chunk.records)
    return out


def _write(postgres: Any, table: str, segments: list[list[Any]], columns: bool,
           **keys: str) -> tuple[int, list[Any]]:
    """Write the batches of each segment, flushing after each (the same chunks both ways); how many chunks took
    the columnar write, and what was reported."""
    report = Collector()
    sink = make_sink(postgres.sqlalchemy_url, report, name=table, table_name_format=table, auto_create=True,
                     auto_evolve=True, **keys)
    writer = sink.open("topic-0", None)
    columnar = 0
    write_columns = writer._write_columns

    def counted(*args: Any) -> None:
        nonlocal columnar
        columnar += 1
        write_columns(*args)

    writer._write_columns = counted  # type: ignore[method-assign]
    for batches in segments:
        for batch in batches:
            if isinstance(batch, DecodedColumns):
                writer.write(SinkBatch(columns=batch) if columns else SinkBatch(batch.records()))
            else:
                writer.write(SinkBatch(batch))
        writer.flush()
    writer.close()
    return columnar, [(r.offset, type(e).__name__) for r, e in report.reported]


@pytest.mark.parametrize(("insert_mode", "pk_mode", "pk_fields"), [
    ("upsert", "record_key", ""), ("insert", "record_key", ""), ("update", "record_key", ""),
    ("upsert", "record_value", "id,i16"), ("insert", "kafka", ""), ("insert", "none", ""),
])
def test_decoded_columns_write_the_tables_records_write(postgres: Any, unique_name: str, insert_mode: str,
                                                        pk_mode: str, pk_fields: str) -> None:
    keys = {"insert_mode": insert_mode, "pk_mode": pk_mode, "delete_enabled": str(pk_mode == "record_key").lower()}
    if pk_fields:
        keys["pk_fields"] = pk_fields
    # update mode changes rows only: give it rows to change first
    if insert_mode == "update":
        seed = [_decoded_batches(0, 1200, 10_000)]
        for prefix in ("r", "c"):
            _write(postgres, f"{prefix}_{unique_name}", seed, False, insert_mode="upsert", pk_mode=pk_mode)
    # one chunk per segment: narrow rows; narrow and wider rows (keys repeated across the schema change);
    # then tombstones and poison values (batches that take the record path: the chunk is written from records)
    segments = [_decoded_batches(0, 1200, 150),
                _decoded_batches(1200, WIDER_FROM, 150) + _decoded_batches(WIDER_FROM, DIRTY_FROM, 150),
                _decoded_batches(DIRTY_FROM, MESSAGES, 150)]
    assert all(isinstance(b, DecodedColumns) and b.flat is not None and b.key_flat is not None
               for b in segments[0] + segments[1])
    _, by_records = _write(postgres, f"r_{unique_name}", segments, False, **keys)
    columnar, by_columns = _write(postgres, f"c_{unique_name}", segments, True, **keys)
    assert columnar == 2  # the first two chunks took the columnar write
    assert table_rows(postgres, f"c_{unique_name}") == table_rows(postgres, f"r_{unique_name}")
    assert table_rows(postgres, f"c_{unique_name}")[1]
    assert by_columns == by_records


def test_a_nul_in_a_column_is_reported_alone_and_the_rest_written(postgres: Any, unique_name: str) -> None:
    nul = next(i for i in range(MESSAGES) if poison(i) == "nul" and i % PARTITIONS == 0)
    m = message(nul)
    good = [message(i) for i in range(nul - 40, nul) if i % PARTITIONS == 0 and not poison(i) and i % 37 != 5]
    part = [*good, m]
    raw = KafkaColumns("topic", 0, list(range(len(part))), [x["key"] for x in part], [x["value"] for x in part],
                       [None] * len(part), [None] * len(part))
    decoded = Decoder(create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True),
                      create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False),
                      ErrorReporter("t", ErrorPolicy()))(Chunk("k", raw, None)).unbuilt_columns
    assert decoded is not None and decoded.flat is not None
    report = Collector()
    sink = make_sink(postgres.sqlalchemy_url, report, table_name_format=unique_name, auto_create=True,
                     insert_mode="upsert", pk_mode="record_key")
    writer = sink.open("topic-0", None)
    writer.write(SinkBatch(columns=decoded))
    writer.flush()
    assert [(r.offset, r.value.get("text")) for r, _ in report.reported] == [(len(good), f"bad\u0000{nul}")]
    assert writer._originals == {}  # kept only until the chunk settled
    assert len(table_rows(postgres, unique_name)[1]) == len({x["key"] for x in good})


@pytest.mark.parametrize("columns", [
    # other types than the sink creates (NUMERIC for a double, INT for an int16): not what the COPY text is for
    "i8 SMALLINT, i16 INT, i32 BIGINT, f32 REAL, f64 NUMERIC, flag BOOLEAN, text VARCHAR(12)",
    # the types the sink creates, but some strings too long for VARCHAR(12): PostgreSQL refuses the COPY text
    "i8 SMALLINT, i16 SMALLINT, i32 INT, f32 REAL, f64 DOUBLE PRECISION, flag BOOLEAN, text VARCHAR(12)",
])
def test_tables_made_by_hand_get_what_the_record_path_writes(postgres: Any, unique_name: str, columns: str) -> None:
    engine = sa.create_engine(postgres.sqlalchemy_url)
    with engine.begin() as conn:
        for table in (f"r_{unique_name}", f"c_{unique_name}"):
            conn.execute(sa.text(f'CREATE TABLE "{table}" (id BIGINT PRIMARY KEY, {columns})'))
    engine.dispose()
    segments = [_decoded_batches(0, 1200, 150)]
    _, by_records = _write(postgres, f"r_{unique_name}", segments, False, insert_mode="upsert", pk_mode="record_key")
    columnar, by_columns = _write(postgres, f"c_{unique_name}", segments, True, insert_mode="upsert",
                                  pk_mode="record_key")
    assert columnar == 1  # tried, then written from records
    assert by_columns == by_records and by_records  # the too long strings, reported alone
    assert table_rows(postgres, f"c_{unique_name}") == table_rows(postgres, f"r_{unique_name}")
    assert len(table_rows(postgres, f"c_{unique_name}")[1]) > 100
