"""Throughput of Kafka → Elasticsearch against the limit: a bare `elasticsearch.helpers.parallel_bulk`.

    python benchmarks/kafka_to_elasticsearch.py [--records 200000] [--batch-size 2000] [--in-flight 5]

Starts an embedded Kafka broker (Tansu) and noida-db's Elasticsearch (or uses
PYCONNECT_TEST_KAFKA_BOOTSTRAP / PYCONNECT_TEST_ELASTICSEARCH_URL), produces N JSON records,
then times:

1. `parallel_bulk` indexing the same documents (same ids, chunk size and thread count) into
   one index: what the server takes from a Python client that already holds the documents;
2. the connector (`ElasticsearchSinkConnector`, schemaless JSON values, dynamic mapping)
   reading them from Kafka, decoding and indexing them, from flow start to the last
   acknowledged bulk request.

`--paths` instead measures issue #17's columnar path: in one run, a bare confluent-kafka consume loop
over the topic (the front limit), then the connector with the record path (`PYCONNECT_FLOW_COLUMNAR=0`)
and with the columnar path, each in a fresh process against a fresh noida-db, for two topics of N
records on 3 partitions: JsonConverter envelopes of one flat struct schema (decoded into field columns)
and schemaless JSON maps (decoded values). Prints records/s, the connector process's CPU seconds (noida-db
shares the cores and bounds the wall time), peak RSS and the ratio to the bare loop.

`--in-process` times only the sink's own work on batches of 2000 of the same two shapes (decode, then
records and `DocumentBuilder.build`, or `ColumnDocuments.items`), no servers.

By default documents get the connector's `key.ignore=true` ids (`topic+partition+offset`);
`--key-ids` uses the record keys instead, which makes the connector send
`version_type=external` versions (the Kafka offsets), and then the baseline sends the same
versions. noida-db slows down as it holds more data, so each measurement gets a fresh server
unless PYCONNECT_TEST_ELASTICSEARCH_URL names one. Prints docs/s of each and their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def document(i: int) -> dict[str, object]:
    """One benchmark document: a small order."""
    return {"order_id": i, "customer": f"customer-{i % 5000}", "amount": round(i * 0.37 % 1000, 2),
            "status": ("new", "paid", "shipped", "returned")[i % 4], "items": [i % 7, i % 11, i % 13],
            "ts": 1_700_000_000_000 + i * 1000}


def produce(bootstrap: str, topic: str, n: int, partitions: int) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000})
    for i in range(n):
        while True:
            try:
                producer.produce(topic, orjson.dumps(document(i)), f"k{i}".encode(), partition=i % partitions)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0, "not every benchmark record was delivered"


def count(es_url: str, index: str) -> int:
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_url, request_timeout=60)
    es.indices.refresh(index=index)
    return int(es.count(index=index)["count"])


def baseline(es_url: str, index: str, n: int, chunk: int, threads: int, topic: str, partitions: int,
             key_ids: bool) -> float:
    """Seconds `parallel_bulk` takes to index the documents."""
    from elasticsearch import Elasticsearch
    from elasticsearch.helpers import parallel_bulk

    es = Elasticsearch(es_url, request_timeout=60)

    def actions() -> Iterator[dict[str, object]]:
        offsets = [0] * partitions
        for i in range(n):
            p = i % partitions
            offset, offsets[p] = offsets[p], offsets[p] + 1
            if key_ids:
                yield {"_index": index, "_id": f"k{i}", "_source": document(i), "version": offset,
                       "version_type": "external"}
            else:
                yield {"_index": index, "_id": f"{topic}+{p}+{offset}", "_source": document(i)}

    began = time.perf_counter()
    for ok, info in parallel_bulk(es, actions(), thread_count=threads, chunk_size=chunk,
                                  max_chunk_bytes=100 * 1024 * 1024):
        if not ok:
            raise RuntimeError(f"parallel_bulk failed: {info}")
    return time.perf_counter() - began


def connector(bootstrap: str, es_url: str, topic: str, batch: int, threads: int, key_ids: bool,
              round_: int = 0) -> float:
    """Seconds the connector takes to read the topic and index it."""
    from bytewax.testing import run_main

    from pyconnect_flow.flow import connector_flow

    config = {"name": f"bench-{topic}-{round_}", "connector.class": "ElasticsearchSink", "topics": topic,
              "connection.url": es_url, "key.ignore": str(not key_ids).lower(), "schema.ignore": "true",
              "batch.size": str(batch), "max.in.flight.requests": str(threads),
              "max.buffered.records": str(batch * threads * 2), "read.timeout.ms": "30000"}
    worker = {"bootstrap.servers": bootstrap,
              "key.converter": "org.apache.kafka.connect.storage.StringConverter",
              "value.converter": "org.apache.kafka.connect.json.JsonConverter",
              "value.converter.schemas.enable": "false"}
    flow = connector_flow(config, worker, stop_at_end=True)
    began = time.perf_counter()
    run_main(flow)
    return time.perf_counter() - began


def paths(records: int, repeat: int) -> None:
    """The bare consume loop, and the record and columnar paths of the connector, side by side (`--paths`)."""
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import run_child, table
    from kafka_columnar import BARE
    from kafka_to_s3 import PARTITIONS, PYCONNECT

    # The connector process's own CPU seconds beside its wall time: noida-db, on the same cores, bounds the
    # wall time; the CPU time is what the sink path costs.
    child = PYCONNECT.replace('print(json.dumps({{"seconds"', 'import resource\nu = resource.getrusage('
                              'resource.RUSAGE_SELF)\nprint(json.dumps({{"cpu": u.ru_utime + u.ru_stime, "seconds"')
    assert child != PYCONNECT
    from kafka_to_s3 import produce as produce_envelopes

    from pyconnect_flow.embedded import EmbeddedKafka, NoidaDb

    def produce_maps(bootstrap: str, topic: str, n: int) -> None:
        from confluent_kafka import Producer

        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000})
        for i in range(n):
            while True:
                try:
                    producer.produce(topic, orjson.dumps(document(i)), partition=i % PARTITIONS)
                    break
                except BufferError:
                    producer.poll(0.05)
        assert producer.flush(60) == 0

    load_before = os.getloadavg()
    best: dict[str, dict[str, float]] = {}

    def keep(label: str, m: dict[str, float]) -> None:
        if label not in best or m["seconds"] < best[label]["seconds"]:
            best[label] = m

    with tempfile.TemporaryDirectory(prefix="bench-es-") as tmp, EmbeddedKafka() as kafka:
        bootstrap = kafka.bootstrap_servers
        shapes = {"envelopes": "bench-es-envelopes", "maps": "bench-es-maps"}
        for shape, topic in shapes.items():
            kafka.create_topic(topic, partitions=PARTITIONS)
            (produce_envelopes if shape == "envelopes" else produce_maps)(bootstrap, topic, records)
        run = 0
        for _ in range(repeat):
            for shape, topic in shapes.items():
                run += 1
                bare = run_child(BARE.format(bootstrap=bootstrap, topic=topic, partitions=PARTITIONS, tag=run))
                assert bare["count"] == records, bare
                keep(f"bare consume loop ({shape})", bare)
                for path, env in (("record path", {"PYCONNECT_FLOW_COLUMNAR": "0"}),
                                  ("columnar path", {"PYCONNECT_FLOW_COLUMNAR": "1"})):
                    run += 1
                    name = f"bench-es-{run}"
                    with NoidaDb(["elasticsearch"]) as noida:
                        connector = {"name": name, "connector.class": "ElasticsearchSink", "topics": topic,
                                     "connection.url": noida.elasticsearch_url, "key.ignore": "true",
                                     "schema.ignore": str(shape == "maps").lower(), "batch.size": "2000",
                                     "max.in.flight.requests": "5", "read.timeout.ms": "30000",
                                     "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                                     "value.converter.schemas.enable": str(shape == "envelopes").lower()}
                        m = run_child(child.format(tmp=tmp, tag=name, bootstrap=bootstrap, connector=connector),
                                      **env)
                        indexed = count(noida.elasticsearch_url, topic)
                    assert indexed == records, f"{name} indexed {indexed} of {records} documents"
                    print(f"{shape} {path}: {m['seconds']:.1f} s", file=sys.stderr, flush=True)
                    keep(f"Kafka → Elasticsearch ({shape}), {path}", m)
    load_after = os.getloadavg()
    rows = [("path", "records/s", "seconds", "CPU s of the process", "peak RSS MB", "vs bare loop")]
    for label, m in best.items():
        shape = "envelopes" if "envelopes" in label else "maps"
        rate, bare_rate = records / m["seconds"], records / best[f"bare consume loop ({shape})"]["seconds"]
        cpu = f"{m['cpu']:.1f}" if "cpu" in m else "-"
        rows.append((label, f"{rate:,.0f}", f"{m['seconds']:.1f}", cpu, f"{m['rss']:.0f}", f"{rate / bare_rate:.2f}×"))
    print(table(rows))
    print(f"\n{records:,} records per topic, {PARTITIONS} partitions, best of {repeat}; {os.cpu_count()} cores; "
          f"load average before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")


def in_process(records: int, repeat: int) -> None:
    """The sink's own work per batch of 2000, in this process, without Kafka or Elasticsearch (`--in-process`):
    decode + records + `DocumentBuilder.build` (record path) against decode + `ColumnDocuments.items`
    (columnar path), alternating, best of `repeat`, for both topic shapes of `--paths`."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from kafka_to_s3 import SCHEMA

    from pyconnect_flow.connectors.elasticsearch.columns import ColumnDocuments
    from pyconnect_flow.connectors.elasticsearch.documents import DocumentBuilder
    from pyconnect_flow.converters import create_converter
    from pyconnect_flow.engine.stages import Chunk, Decoder
    from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
    from pyconnect_flow.kafka_columns import KafkaColumns
    from tests.integration.es_helpers import make_sink  # settings validated as the runtime validates them

    head = orjson.dumps({"schema": SCHEMA, "payload": None})[:-5]
    batch = 2000

    def envelope(i: int) -> bytes:
        return head + (b'{"id":%d,"customer":"customer-%d","product":"product-%d","quantity":%d,"amount":%s}}'
                       % (i, i % 997, i % 113, i % 9 + 1, b"null" if i % 50 == 0 else b"%.2f" % (i * 0.37)))

    def one(shape: str) -> None:
        values = [envelope(i) if shape == "envelopes" else orjson.dumps(document(i)) for i in range(1, batch + 1)]
        converter = create_converter("org.apache.kafka.connect.json.JsonConverter",
                                     {"schemas.enable": str(shape == "envelopes").lower()}, False)
        key = create_converter("org.apache.kafka.connect.storage.StringConverter", {}, True)
        decoder = Decoder(key, converter, ErrorReporter("bench", ErrorPolicy()))
        settings = make_sink("bench", {"connection.url": "http://localhost:9200", "key.ignore": "true",
                                       "schema.ignore": str(shape == "maps").lower()}).settings
        builder, columnar = DocumentBuilder(settings), ColumnDocuments(DocumentBuilder(settings))

        def decoded() -> Any:
            raw = KafkaColumns("orders", 0, list(range(batch)), [None] * batch, values, [0] * batch, [None] * batch)
            return decoder(Chunk("k", raw, None)).unbuilt_columns

        def record_path() -> None:
            build = builder.build
            for r in decoded().records():
                build(r)

        def columnar_path() -> None:
            assert columnar.items(decoded(), "orders") is not None

        best = {"record path": float("inf"), "columnar path": float("inf")}
        for _ in range(max(1, records // batch) * repeat):
            for label, run in (("record path", record_path), ("columnar path", columnar_path)):
                began = time.perf_counter()
                run()
                best[label] = min(best[label], time.perf_counter() - began)
        rates = {label: batch / seconds for label, seconds in best.items()}
        print(f"{shape}: record path {rates['record path']:,.0f} records/s, columnar path "
              f"{rates['columnar path']:,.0f} records/s ({rates['columnar path'] / rates['record path']:.2f}x), "
              "decode + bulk items, best batch of 2000")

    for shape in ("envelopes", "maps"):
        one(shape)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=5)
    parser.add_argument("--key-ids", action="store_true", help="record keys as ids, with external versions")
    parser.add_argument("--rounds", type=int, default=1, help="alternating measurements; the medians are compared")
    parser.add_argument("--paths", action="store_true",
                        help="record path vs columnar path vs a bare consume loop (issue #17), --rounds runs each")
    parser.add_argument("--in-process", action="store_true",
                        help="the sink's own work per batch, record path vs columnar path, no servers")
    args = parser.parse_args()
    if args.in_process:
        in_process(args.records, args.rounds)
        return 0
    if args.paths:
        paths(args.records, args.rounds)
        return 0

    from pyconnect_flow.embedded import EmbeddedKafka, NoidaDb

    @contextlib.contextmanager
    def elasticsearch() -> Iterator[str]:
        url = os.environ.get("PYCONNECT_TEST_ELASTICSEARCH_URL")
        if url:
            yield url
            return
        with NoidaDb(["elasticsearch"]) as noida:
            yield noida.elasticsearch_url

    with contextlib.ExitStack() as stack:
        bootstrap = os.environ.get("PYCONNECT_TEST_KAFKA_BOOTSTRAP")
        if not bootstrap:
            bootstrap = stack.enter_context(EmbeddedKafka()).bootstrap_servers
        from pyconnect_flow.embedded.kafka import KafkaEndpoint

        topic = "bench" + uuid.uuid4().hex[:8]
        KafkaEndpoint(bootstrap).create_topic(topic, args.partitions)
        print(f"producing {args.records} records to {topic} ...", flush=True)
        produce(bootstrap, topic, args.records, args.partitions)

        base_runs: list[float] = []
        ours_runs: list[float] = []
        for round_ in range(args.rounds):
            index = f"{topic}-baseline{round_}"
            with elasticsearch() as es_url:
                base_runs.append(baseline(es_url, index, args.records, args.batch_size, args.in_flight, topic,
                                          args.partitions, args.key_ids))
                assert count(es_url, index) == args.records
            with elasticsearch() as es_url:
                ours_runs.append(connector(bootstrap, es_url, topic, args.batch_size, args.in_flight, args.key_ids,
                                           round_))
                indexed = count(es_url, topic)
            assert indexed == args.records, f"the connector indexed {indexed} of {args.records} documents"
            print(f"round {round_ + 1}: parallel_bulk {args.records / base_runs[-1]:,.0f} docs/s, "
                  f"connector {args.records / ours_runs[-1]:,.0f} docs/s", flush=True)

    base_s, ours_s = statistics.median(base_runs), statistics.median(ours_runs)
    base, ours = args.records / base_s, args.records / ours_s
    what = "median of " + str(args.rounds) + " rounds" if args.rounds > 1 else "one round"
    print(f"parallel_bulk (limit):   {base:10,.0f} docs/s  ({base_s:.2f} s, {what})")
    print(f"pyconnect-flow sink:     {ours:10,.0f} docs/s  ({ours_s:.2f} s, from Kafka, incl. flow start-up)")
    print(f"ratio:                   {ours / base:10.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
