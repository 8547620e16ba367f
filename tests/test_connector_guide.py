"""The example connector and transform of docs/connector-guide.md, run from the page as a user would: the module
saved in a plugin directory beside the configs, named by the worker's `plugin.path`, and the worker started from
another directory with no PYTHONPATH pointing at it."""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.engine.spec import use_plugin_path
from pyconnect_flow.rest import create_app
from pyconnect_flow.runtime.herder import Herder, HerderSettings
from pyconnect_flow.runtime.store import MemoryConfigStore
from tests.integration.kafka_helpers import produce, run_cli, worker_file, write_properties

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "connector-guide.md"


def _guide_module() -> str:
    code = re.search(r"```python\n(.*?)```", GUIDE.read_text().split("## A complete example", 1)[1], re.S)
    assert code is not None, "the guide's example lost its code block"
    return code.group(1)


def test_the_guides_sink_connector_and_transform_run_from_the_users_plugin_directory(kafka, tmp_path: Path,
                                                                                    unique_name: str) -> None:
    config_dir = tmp_path / "connect"
    (config_dir / "plugins").mkdir(parents=True)
    (config_dir / "plugins" / "my_connectors.py").write_text(_guide_module())
    elsewhere = tmp_path / "elsewhere"  # the working directory: `python -m` puts it, not the plugins, on sys.path
    elsewhere.mkdir()
    kafka.create_topic(unique_name, partitions=2)
    produce(kafka.bootstrap_servers, unique_name, [
        {"value": json.dumps({"name": f"n{i}", "i": i}).encode(), "partition": i % 2} for i in range(10)])
    out = tmp_path / "out"
    out.mkdir()
    conn = write_properties(config_dir / "jsonl.properties", {
        "name": unique_name, "connector.class": "my_connectors:JsonLinesSinkConnector", "topics": unique_name,
        "jsonl.directory": str(out), "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false", "transforms": "up",
        "transforms.up.type": "my_connectors:UppercaseField", "transforms.up.field": "name"})

    # Without plugin.path the module is found nowhere: the run fails, naming it.
    worker = worker_file(config_dir, kafka.bootstrap_servers)
    refused = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=elsewhere)
    assert refused.returncode != 0
    assert "my_connectors" in refused.stderr and "No module named" in refused.stderr, refused.stderr
    assert not list(out.iterdir())

    # plugin.path relative to the worker file's directory, as a user writes it next to the configs.
    worker = worker_file(config_dir, kafka.bootstrap_servers, plugin_path="plugins")
    done = run_cli(["standalone", str(worker), str(conn), "--stop-at-end"], cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    lines = {p.name: [json.loads(x) for x in p.read_text().splitlines()] for p in out.iterdir()}
    assert sorted(lines) == [f"{unique_name}-0.jsonl", f"{unique_name}-1.jsonl"]
    # Every record arrived once, in partition order, with the custom transform applied.
    assert lines[f"{unique_name}-0.jsonl"] == [{"name": f"N{i}", "i": i} for i in range(0, 10, 2)]
    assert lines[f"{unique_name}-1.jsonl"] == [{"name": f"N{i}", "i": i} for i in range(1, 10, 2)]


def test_the_rest_api_validates_the_guides_connector_by_its_import_path(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette 1.x asks for httpx2 for its test client; httpx works
        from starlette.testclient import TestClient

    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "my_connectors.py").write_text(_guide_module())
    monkeypatch.setattr(sys, "path", list(sys.path))  # the plugin directory goes with the test
    monkeypatch.delitem(sys.modules, "my_connectors", raising=False)
    use_plugin_path({"plugin.path": ["plugins"]}, str(tmp_path / "worker.properties"))
    herder = Herder(HerderSettings("worker.properties", {"bootstrap.servers": "127.0.0.1:1"}, tmp_path / "root",
                                   worker_id="w:8083"), MemoryConfigStore())
    api = TestClient(create_app(herder))
    plugin = "my_connectors:JsonLinesSinkConnector"
    keys = {k["name"] for k in api.get(f"/connector-plugins/{plugin}/config").json()}
    assert {"jsonl.directory", "topics", "transforms"} <= keys
    result = api.put(f"/connector-plugins/{plugin}/config/validate",
                     json={"name": "j", "topics": "t", "transforms": "up",
                           "transforms.up.type": "my_connectors:UppercaseField", "transforms.up.field": "name"}).json()
    assert result["name"] == "my_connectors.JsonLinesSinkConnector"  # its CLASS_NAMES, as Kafka names a class
    assert [c["value"]["name"] for c in result["configs"] if c["value"]["errors"]] == ["jsonl.directory"]
    assert api.get("/connector-plugins/my_connectors:NoSuchConnector/config").status_code == 404
    monkeypatch.delitem(sys.modules, "my_connectors")


def test_a_plugin_path_entry_that_does_not_exist_is_a_worker_config_error(tmp_path: Path) -> None:
    worker = tmp_path / "worker.properties"
    with pytest.raises(ConfigException) as info:
        use_plugin_path({"plugin.path": ["plugns"]}, str(worker))
    message = str(info.value)
    assert str(worker) in message and "plugin.path" in message and "'plugns' not found" in message, message
    assert str(tmp_path) in message  # where relative entries were looked for
