"""Benchmark: the transform stage alone, in process, on decoded Kafka columns against the record path.

100,000 compact JsonConverter envelopes of a flat struct (id, customer, amount; one message in 7 with a
`debug` header) in batches of 2,000 (the Kafka reader's default) are decoded once each way (not timed): into
field columns, and into records. Then each chain runs through the transform stage (`engine.stages.Transformer`)
on both and the time per record is printed (best of `--repeat`): `columns`, the chain's columnar form;
`records`, the chain on records the record path's decoder built beforehand (the chain's work alone);
`fallback`, what a batch of columns costs when the chain has no columnar form (its records built from the
columns, then the chain on them). Chains: Filter behind HasHeaderKey (drops the debug messages, per message), Filter behind
RecordIsTombstone (no tombstone in a flat batch: one answer for the batch), Filter behind a TopicNameMatches
that drops every batch, and InsertField$Value's timestamp field.

    python benchmarks/filter_columns.py [--records 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from pyconnect_flow.converters import create_converter
from pyconnect_flow.engine.stages import Chunk, Decoder, Transformer
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.kafka_columns import KafkaColumns
from pyconnect_flow.transforms import Filter, HasHeaderKey, RecordIsTombstone, TopicNameMatches, when
from pyconnect_flow.transforms.insert_field import InsertFieldValue

SCHEMA = {"type": "struct", "name": "com.example.Order", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "customer", "type": "string", "optional": True},
    {"field": "amount", "type": "double", "optional": True}]}
BATCH = 2000

CHAINS: dict[str, Callable[[], Any]] = {
    "Filter + HasHeaderKey (1 in 7 dropped)": lambda: when(HasHeaderKey(name="debug"), Filter()),
    "Filter + RecordIsTombstone (none)": lambda: when(RecordIsTombstone(), Filter()),
    "Filter + TopicNameMatches (all dropped)": lambda: when(TopicNameMatches(pattern="orders"), Filter()),
    "InsertField$Value timestamp.field": lambda: InsertFieldValue(timestamp_field="ts"),
}


def batches(records: int) -> list[KafkaColumns]:
    out = []
    for start in range(0, records, BATCH):
        n = min(BATCH, records - start)
        values: list[bytes | None] = [json.dumps({"schema": SCHEMA, "payload": {
            "id": i, "customer": f"c{i % 97}", "amount": i * 0.25 + 0.5}}, separators=(",", ":")).encode()
            for i in range(start, start + n)]
        headers = [[("debug", b"1")] if i % 7 == 0 else None for i in range(start, start + n)]
        out.append(KafkaColumns("orders", 0, list(range(start, start + n)), [None] * n, values,
                                [1_700_000_000_000 + i for i in range(start, start + n)], headers))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    key = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, True)
    value = create_converter("org.apache.kafka.connect.json.JsonConverter", {}, False)
    errors = ErrorReporter("bench", ErrorPolicy.from_values({}))
    by_columns, by_records = Decoder(key, value, errors), Decoder(key, value, errors, columnar=False)
    raw = batches(args.records)
    print(f"{args.records} records in batches of {BATCH}, µs per record (best of {args.repeat})")
    print(f"{'chain':42} {'columns':>8} {'records':>8} {'fallback':>8}")
    for name, make in CHAINS.items():
        stage = Transformer(make(), errors)
        best = {"columns": float("inf"), "records": float("inf"), "fallback": float("inf")}
        for _ in range(args.repeat):
            for way in best:
                decoder = by_records if way == "records" else by_columns
                chunks = [decoder(Chunk("k", b if way != "records" else b.records(), None)) for b in raw]
                if way == "records":
                    for c in chunks:
                        assert c.unbuilt_columns is None and len(c.records) > 0
                start = time.perf_counter()
                for c in chunks:
                    if way == "fallback":
                        assert len(c.records) > 0  # built from the columns, as the stage does without a form
                    out = stage(c)
                elapsed = time.perf_counter() - start
                assert (out.unbuilt_columns is not None) is (way == "columns")
                best[way] = min(best[way], elapsed)
        cols, recs, fallback = (best[k] / args.records * 1e6 for k in best)
        print(f"{name:42} {cols:8.2f} {recs:8.2f} {fallback:8.2f}")


if __name__ == "__main__":
    main()
