"""Number text through Kafka Connect itself, on a JDK of each ``Double.toString`` family (before 19, 19+).

Kafka Connect prints doubles and floats with the JVM's ``Double.toString``/``Float.toString`` (Jackson calls
them for JSON; FileStreamSink lines and Cast's strings are ``toString()``), whose digits changed in JDK 19.
pyconnect-flow prints as the JDK ``PYCONNECT_FLOW_JDK`` names; here it is told the JDK of each worker:

- sink: a topic of FLOAT64/FLOAT32 envelopes, arrays and maps of them, and schemaless doubles, read by
  FileStreamSink (byte-identical files);
- source: lines of numbers cast by Cast$Value to float64 and float32 (and those to string), written by
  JsonConverter (identical records).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
from tests.differential.test_java_text import random_double, random_float
from tests.integration.kafka_helpers import produce
from tests.reference.connect_standalone import KafkaConnect, java_consumed_length, sink_done, source_done

JSON = "org.apache.kafka.connect.json.JsonConverter"


def number_envelope(rnd: object, x: float, f: float) -> str:
    kind = rnd.randint(0, 4)  # type: ignore[attr-defined]
    if kind == 0:
        return json.dumps({"schema": {"type": "double"}, "payload": x})
    if kind == 1:
        return json.dumps({"schema": {"type": "float"}, "payload": f})
    if kind == 2:
        return json.dumps({"schema": {"type": "array", "items": {"type": "float"}}, "payload": [f, x]})
    if kind == 3:
        return json.dumps({"schema": {"type": "struct", "fields": [{"field": "d", "type": "double"},
                                                                   {"field": "f", "type": "float"}]},
                           "payload": {"d": x, "f": f}})
    return json.dumps({"schema": None, "payload": {"d": x, "l": [x, f]}})


@pytest.fixture(params=["reference", "other"])
def connect(request: pytest.FixtureRequest) -> KafkaConnect:
    worker: KafkaConnect = request.getfixturevalue("kafka_connect" if request.param == "reference"
                                                   else "other_jdk_connect")
    return worker


def test_numbers_print_as_the_workers_jdk_prints_them(connect: KafkaConnect, tmp_path: Path) -> None:
    rnd = rng(f"numbers-connect-{connect.java_version}")
    count = case_count(0.05, minimum=20)
    doubles = [random_double(rnd) for _ in range(count)]
    floats = [random_float(rnd) for _ in range(count)]
    run = run_id()

    # sink: envelopes of numbers → FileStreamSink
    topic = f"{run}-numbers"
    create_topics(connect, [topic])
    produce(connect.bootstrap_servers, topic,
            [{"value": number_envelope(rnd, x, f).encode()} for x, f in zip(doubles, floats)])
    sink = sided(f"{run}-sink")
    # source: number lines → Cast$Value → JsonConverter
    lines = tmp_path / "numbers.txt"
    lines.write_text("".join(f"{x!r}\n{f!r}\n" for x, f in zip(doubles, floats)))
    sources = {sided(f"{run}-cast-{target}"): target for target in ("float64", "float32")}
    create_topics(connect, list(sources))
    connectors = {sink: {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                         "topics": topic, "file": str(tmp_path / "{side}-numbers.txt"), "errors.tolerance": "all",
                         "value.converter": JSON, "value.converter.schemas.enable": "true"}}
    for name, target in sources.items():
        connectors[name] = {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "file": str(lines),
            "topic": name, "errors.tolerance": "all", "value.converter": JSON,
            "value.converter.schemas.enable": "true", "transforms": "cast,hoist,text",
            "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value", "transforms.cast.spec": target,
            "transforms.hoist.type": "org.apache.kafka.connect.transforms.HoistField$Value",
            "transforms.hoist.field": "n",
            "transforms.text.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.text.static.field": "s", "transforms.text.static.value": "x"}
    done = {sink: sink_done({(topic, 0): count}),
            **{name: source_done({lines: java_consumed_length(lines.read_bytes())}) for name in sources}}
    both = Run(tmp_path / "run", connectors)
    both.execute(connect, done)

    assert both.ours is not None and both.ours.returncode == 0, both.ours.stderr[-3000:] if both.ours else ""
    assert all(o.state == "done" for o in both.outcomes.values()), both.outcomes
    problems = compare_files((tmp_path / "kc-numbers.txt").read_bytes(), (tmp_path / "py-numbers.txt").read_bytes())
    read = {side: topics_records(connect.bootstrap_servers, [fill(n, side) for n in sources], side)
            for side in ("kc", "py")}
    for name in sources:
        problems += compare_records(read["kc"][fill(name, "kc")], read["py"][fill(name, "py")])
    assert not problems, f"JDK {connect.java_version}: " + report(problems)
