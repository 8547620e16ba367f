"""FileStreamSource → topic, Kafka Connect against pyconnect-flow, on files of hostile lines.

One file of generated lines (supplementary characters, invalid UTF-8, control characters, NUL, DEL,
U+2028/2029, a BOM, CR/LF/CRLF mixes, very long lines) is read by three connectors on each side, writing
with JsonConverter (schemas on and off) and StringConverter; every record must be identical.
"""

from __future__ import annotations

from pathlib import Path

from tests.differential.harness import (
    Run,
    case_count,
    compare_records,
    create_topics,
    fill,
    report,
    rng,
    run_id,
    sided,
    topics_records,
)
from tests.differential.lines import hostile_file, java_lines
from tests.reference.connect_standalone import KafkaConnect, java_consumed_length, source_done

CONVERTERS = {
    "json": {"value.converter": "org.apache.kafka.connect.json.JsonConverter",
             "value.converter.schemas.enable": "true"},
    "jsonplain": {"value.converter": "org.apache.kafka.connect.json.JsonConverter",
                  "value.converter.schemas.enable": "false"},
    "string": {"value.converter": "org.apache.kafka.connect.storage.StringConverter"},
}


def test_hostile_lines_give_identical_records(kafka_connect: KafkaConnect, tmp_path: Path) -> None:
    lines = case_count(0.15, minimum=10)
    data, _ = hostile_file(rng("file-source"), lines)
    source = tmp_path / "hostile.txt"
    source.write_bytes(data)
    run = run_id()
    topics = {name: sided(f"{run}-{name}") for name in CONVERTERS}
    create_topics(kafka_connect, list(topics.values()))
    connectors = {sided(f"{run}-src-{name}"): {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max": 1,
        "file": str(source), "topic": topics[name], **settings} for name, settings in CONVERTERS.items()}
    done = {name: source_done({source: java_consumed_length(data)}) for name in connectors}

    both = Run(tmp_path / "run", connectors)
    both.execute(kafka_connect, done)

    assert both.ours is not None and both.ours.returncode == 0, both.ours.stderr[-3000:] if both.ours else ""
    failed = {name: o for name, o in both.outcomes.items() if o.state != "done"}
    assert not failed, failed
    expected_lines = java_lines(data)
    problems = []
    read = {side: topics_records(kafka_connect.bootstrap_servers, [fill(t, side) for t in topics.values()], side)
            for side in ("kc", "py")}
    for name, topic in topics.items():
        kc, py = read["kc"][fill(topic, "kc")], read["py"][fill(topic, "py")]
        assert len(kc) == len(expected_lines), (name, len(kc), len(expected_lines))
        problems += [f"[{name}] {p}" for p in compare_records(
            kc, py, lambda i: f"line {i}: {expected_lines[i][:120]!r}" if i < len(expected_lines) else "")]
    assert not problems, report(problems)
