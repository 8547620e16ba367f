"""Random SMT chains from config, Kafka Connect against pyconnect-flow.

- Source side: FileStreamSource over a file of short lines (numbers, booleans, dates, text, JSON-looking
  text), each connector with its own random chain over all 16 SMTs and 3 predicates and its own key, value
  and header converters, writing a topic (and the topics RegexRouter sends to). Every record must be
  identical: key, value, headers, order.
- Sink side: FileStreamSink over topics of JSON records (schemaless maps, structs with schemas,
  tombstones, headers, fixed timestamps), each connector with its own chain: byte-identical files.

``errors.tolerance=all``: a record a step fails on is dropped, and must be dropped on both sides. A
config one side refuses must be refused by the other (Kafka Connect's ``config/validate`` endpoint, our
``transforms.from_config``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from pyconnect_flow.transforms import from_config
from tests.differential.harness import (
    Run,
    case_count,
    compare_files,
    compare_records,
    create_topics,
    fill,
    report,
    rng,
    run_id,
    sided,
    topics_records,
)
from tests.differential.smt_chains import SOURCE_LINES, Shape, random_chain, random_converters
from tests.differential.test_file_sink import masked
from tests.integration.kafka_helpers import produce
from tests.reference.connect_standalone import KafkaConnect, java_consumed_length, sink_done, source_done

BATCH = 40  # connectors per run: one Kafka Connect batch and one pyconnect-flow process
ROUTED = ("", "-r", "-r-r")  # the topics RegexRouter may send a record to


def refusals(connect: KafkaConnect, connectors: dict[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The connectors both sides accept, and the differences between the two verdicts."""
    accepted, problems = {}, []
    for name, config in connectors.items():
        try:
            from_config(fill(config, "py"))
            ours = ""
        except Exception as exc:  # noqa: BLE001 - any refusal is compared with Kafka Connect's
            ours = f"{type(exc).__name__}: {exc}"
        kafka = connect.validate({**fill(config, "kc"), "name": fill(name, "kc")})
        if bool(ours) != bool(kafka):
            problems.append(f"{name}: Kafka Connect {'refuses: ' + '; '.join(kafka) if kafka else 'accepts'}, "
                            f"ours {'refuses: ' + ours if ours else 'accepts'}\n  config: {json.dumps(config)}")
        elif not ours:
            accepted[name] = config
    return accepted, problems


def batches(connectors: dict[str, dict[str, Any]]) -> list[dict[str, dict[str, Any]]]:
    names = list(connectors)
    return [{n: connectors[n] for n in names[i:i + BATCH]} for i in range(0, len(names), BATCH)]


def outcome_problems(run: Run) -> list[str]:
    problems = []
    if run.ours is None or run.ours.returncode != 0:
        problems.append(f"pyconnect-flow failed: {run.ours.stderr[-3000:] if run.ours else 'did not run'}")
    for name, outcome in run.outcomes.items():
        if outcome.state not in ("done", "idle"):  # idle: the chain dropped the last records
            problems.append(f"{name}: Kafka Connect {outcome.state}: {outcome.error[:1500]}")
    return problems


def test_source_chains_give_identical_records(kafka_connect: KafkaConnect, tmp_path: Path) -> None:
    rnd = rng("smt-source")
    lines = rnd.sample(SOURCE_LINES, 8)
    source = tmp_path / "lines.txt"
    source.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    position = java_consumed_length(source.read_bytes())
    run = run_id()
    connectors = {}
    for i in range(max(4, case_count(0.3) // len(lines))):
        name = sided(f"{run}-c{i}")
        connectors[name] = {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max": 1,
            "file": str(source), "topic": name, "errors.tolerance": "all",
            **random_converters(rnd, sink=False), **random_chain(rnd, Shape(), sink=False)}
    accepted, problems = refusals(kafka_connect, connectors)
    for number, batch in enumerate(batches(accepted)):
        create_topics(kafka_connect, [name + suffix for name in batch for suffix in ROUTED])
        both = Run(tmp_path / f"run{number}", batch)
        both.execute(kafka_connect, {name: source_done({source: position}) for name in batch})
        problems += outcome_problems(both)
        read = {side: topics_records(kafka_connect.bootstrap_servers,
                                     [fill(name, side) + suffix for name in batch for suffix in ROUTED], side)
                for side in ("kc", "py")}
        for name, config in batch.items():
            for suffix in ROUTED:
                found = compare_records(read["kc"][fill(name, "kc") + suffix], read["py"][fill(name, "py") + suffix])
                if found:
                    problems.append(f"{name}{suffix} ({json.dumps(config)}):\n" + "\n".join(found))
    assert not problems, f"lines {lines!r}\n" + report(problems)


# -- sink side ---------------------------------------------------------------------------------------

VALUES: list[Any] = [0, 1, -129, 300, 2147483648, 1.5, -0.001, 1e300, "x", "", "2023-11-14", "12", "true",
                     True, False, None, [1, 2], {"a": 1, "b": "x"}, "\U0001F600"]


def schemaless_value(rnd: random.Random) -> Any:
    fields = rnd.sample(["id", "name", "amount", "ts", "tags", "nested", "flag", "when", "a", "b", "n"],
                        rnd.randint(0, 6))
    value = {f: rnd.choice(VALUES) for f in fields}
    if "nested" in value and rnd.random() < 0.7:
        value["nested"] = {k: rnd.choice(VALUES) for k in rnd.sample(["a", "b", "n"], rnd.randint(1, 3))}
    if "ts" in value and rnd.random() < 0.7:
        value["ts"] = rnd.choice((1700000000000, "2023-11-14T10:20:30.400Z", 0, -1))
    return value


STRUCT_FIELDS = [
    # read as seconds by a TimestampConverter, ids stay within years 1-9999 (wider dates: a documented limit)
    ("id", {"type": "int64"}, lambda r: r.randint(-6 * 10**10, 25 * 10**10)),
    ("name", {"type": "string", "optional": True}, lambda r: r.choice(("x", "", None, "\U0001F600", "12"))),
    ("amount", {"type": "double"}, lambda r: r.choice((1.5, -0.001, 1e300, 0.1, 42.0))),
    ("small", {"type": "float", "optional": True}, lambda r: r.choice((1.5, 0.1, 3.4e38, None))),
    ("flag", {"type": "boolean", "optional": True, "default": True}, lambda r: r.choice((True, False, None))),
    ("ts", {"type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1, "optional": True},
     lambda r: r.choice((1700000000000, 0, -1, None, -12219292800001))),
    ("day", {"type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1},
     lambda r: r.choice((19675, 0, -141428))),
    ("price", {"type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
               "parameters": {"scale": "2"}, "optional": True}, lambda r: r.choice(("AQ==", "D6A=", None))),
    ("tags", {"type": "array", "items": {"type": "string"}, "optional": True},
     lambda r: r.choice((["a", "b"], [], None))),
    ("nested", {"type": "struct", "optional": True, "fields": [{"field": "a", "type": "int32"},
                                                               {"field": "b", "type": "string", "optional": True}]},
     lambda r: r.choice(({"a": 1, "b": "x"}, {"a": -5, "b": None}, None))),
    ("n", {"type": "int16", "optional": True}, lambda r: r.choice((0, 300, None))),
]


def struct_envelope(rnd: random.Random) -> str:
    chosen = rnd.sample(STRUCT_FIELDS, rnd.randint(1, len(STRUCT_FIELDS)))
    schema = {"type": "struct", "name": "com.example.Rec", "fields": [{"field": f, **s} for f, s, _ in chosen]}
    payload = {f: make(rnd) for f, _, make in chosen}
    return json.dumps({"schema": schema, "payload": payload})


def sink_records(rnd: random.Random, count: int, with_schemas: bool) -> list[dict[str, Any]]:
    records = []
    for i in range(count):
        if rnd.random() < 0.08:
            value = None
        elif with_schemas:
            value = struct_envelope(rnd).encode()
        else:
            value = json.dumps(schemaless_value(rnd)).encode()
        headers = [(h, rnd.choice((b"1", b"x", b"2023-11-14"))) for h in rnd.sample(["h0", "h1", "x"], rnd.randint(0, 2))]
        records.append({"value": value, "key": json.dumps({"id": i}).encode() if rnd.random() < 0.7 else None,
                        "headers": headers or None, "timestamp": rnd.choice((1700000000000, 86399999, 1, 0))
                        + i * 1000})
    return records


def test_sink_chains_give_identical_files(kafka_connect: KafkaConnect, tmp_path: Path) -> None:
    rnd = rng("smt-sink")
    count = 12
    run = run_id()
    topics = {}
    for schemas in (True, False):
        topic = f"{run}-in-{'struct' if schemas else 'map'}"
        create_topics(kafka_connect, [topic])  # one input topic, read by both sides
        produce(kafka_connect.bootstrap_servers, fill(topic, "kc"), sink_records(rnd, count, schemas))
        topics[schemas] = fill(topic, "kc")
    connectors = {}
    for i in range(max(3, case_count(0.2) // count)):
        schemas = rnd.random() < 0.5
        name = sided(f"{run}-s{i}")
        shape = Shape(value="struct" if schemas else "map", value_fields=["id", "name", "amount", "ts", "nested"],
                      key="map", key_fields=["id"], headers=["h0", "h1"])
        connectors[name] = {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "tasks.max": 1,
            "topics": topics[schemas], "file": str(tmp_path / f"{{side}}-s{i}.txt"), "errors.tolerance": "all",
            "key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": str(schemas).lower(),
            **random_converters(rnd, sink=True), **random_chain(rnd, shape, sink=True)}
    accepted, problems = refusals(kafka_connect, connectors)
    for number, batch in enumerate(batches(accepted)):
        both = Run(tmp_path / f"run{number}", batch)
        both.execute(kafka_connect, {name: sink_done({(config["topics"], 0): count}) for name, config in batch.items()})
        problems += outcome_problems(both)
        for name, config in batch.items():
            kc_file, py_file = Path(fill(config["file"], "kc")), Path(fill(config["file"], "py"))
            kc = masked(kc_file.read_bytes()) if kc_file.exists() else b""
            py = masked(py_file.read_bytes()) if py_file.exists() else b""
            found = compare_files(kc.replace(b"kcQ7", b"pyQ7"), py)
            if found:
                problems.append(f"{name} ({json.dumps(config)}):\n" + "\n".join(found))
    assert not problems, report(problems)
