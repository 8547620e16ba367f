"""The example connector and transform of docs/connector-guide.md, run from the page as a user would."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.integration.kafka_helpers import produce, run_cli, worker_file, write_properties

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "connector-guide.md"


def test_the_guides_sink_connector_and_transform_run_from_the_users_module(kafka, tmp_path: Path,
                                                                           unique_name: str) -> None:
    code = re.search(r"```python\n(.*?)```", GUIDE.read_text().split("## A complete example", 1)[1], re.S)
    assert code is not None, "the guide's example lost its code block"
    (tmp_path / "my_connectors.py").write_text(code.group(1))
    kafka.create_topic(unique_name, partitions=2)
    produce(kafka.bootstrap_servers, unique_name, [
        {"value": json.dumps({"name": f"n{i}", "i": i}).encode(), "partition": i % 2} for i in range(10)])
    out = tmp_path / "out"
    out.mkdir()
    conn = write_properties(tmp_path / "jsonl.properties", {
        "name": unique_name, "connector.class": "my_connectors:JsonLinesSinkConnector", "topics": unique_name,
        "jsonl.directory": str(out), "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false", "transforms": "up",
        "transforms.up.type": "my_connectors:UppercaseField", "transforms.up.field": "name"})
    worker = worker_file(tmp_path, kafka.bootstrap_servers)
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = {p.name: [json.loads(x) for x in p.read_text().splitlines()] for p in out.iterdir()}
    assert sorted(lines) == [f"{unique_name}-0.jsonl", f"{unique_name}-1.jsonl"]
    assert lines[f"{unique_name}-1.jsonl"] == [{"name": f"N{i}", "i": i} for i in range(1, 10, 2)]
