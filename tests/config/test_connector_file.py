"""Connector and worker config files: `.properties`, REST-shaped JSON, flat JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyconnect_flow.config import ConfigFileError, load_connector_config, load_worker_config

KAFKA_CONFIG = Path(__file__).parent.parent / "data" / "kafka-config"

FILE_SOURCE = {
    "name": "local-file-source",
    "connector.class": "FileStreamSource",
    "tasks.max": "1",
    "file": "test.txt",
    "topic": "connect-test",
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_properties_connector_file() -> None:
    assert load_connector_config(KAFKA_CONFIG / "connect-file-source.properties") == FILE_SOURCE
    assert load_connector_config(str(KAFKA_CONFIG / "connect-file-sink.properties"))["topics"] == "connect-test"


def test_rest_shaped_json_copies_the_name_into_the_config(tmp_path: Path) -> None:
    config = {k: v for k, v in FILE_SOURCE.items() if k != "name"}
    path = write(tmp_path, "source.json", json.dumps({"name": "local-file-source", "config": config}))
    loaded = load_connector_config(path)
    assert loaded == FILE_SOURCE
    assert next(iter(loaded)) == "name"


def test_rest_shaped_json_with_the_same_name_inside(tmp_path: Path) -> None:
    path = write(tmp_path, "source.json", json.dumps({"name": "local-file-source", "config": FILE_SOURCE}))
    assert load_connector_config(path) == FILE_SOURCE


def test_rest_shaped_json_without_a_top_level_name(tmp_path: Path) -> None:
    path = write(tmp_path, "source.json", json.dumps({"config": FILE_SOURCE}))
    assert load_connector_config(path) == FILE_SOURCE


def test_rest_shaped_json_accepts_initial_state(tmp_path: Path) -> None:
    body = {"name": "local-file-source", "config": FILE_SOURCE, "initial_state": "PAUSED"}
    assert load_connector_config(write(tmp_path, "s.json", json.dumps(body))) == FILE_SOURCE


def test_name_mismatch_is_reported_with_both_names(tmp_path: Path) -> None:
    path = write(tmp_path, "source.json", json.dumps({"name": "outer", "config": {**FILE_SOURCE, "name": "inner"}}))
    with pytest.raises(ConfigFileError, match=r"source.json: connector name in \"config\" \('inner'\) does not match "
                                              r"the top-level \"name\" \('outer'\)"):
        load_connector_config(path)


def test_flat_json_object(tmp_path: Path) -> None:
    path = write(tmp_path, "source.json", json.dumps(FILE_SOURCE))
    assert load_connector_config(path) == FILE_SOURCE


def test_json_numbers_and_booleans_become_java_style_strings(tmp_path: Path) -> None:
    text = ('{"name": "n", "config": {"tasks.max": 1, "batch.size": 2000, "ratio": 1.50, "big": 1e3, '
            '"neg": -7, "enabled": true, "schemas.enable": false, "s": "x"}}')
    assert load_connector_config(write(tmp_path, "c.json", text)) == {
        "name": "n", "tasks.max": "1", "batch.size": "2000", "ratio": "1.50", "big": "1e3", "neg": "-7",
        "enabled": "true", "schemas.enable": "false", "s": "x",
    }
    assert all(type(v) is str for v in load_connector_config(write(tmp_path, "c.json", text)).values())


def test_invalid_json_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.json", '{\n  "name": "x",\n  "config": {"a": "b",}\n}')
    with pytest.raises(ConfigFileError, match=r"broken.json: invalid JSON at line 3, column 23: "):
        load_connector_config(path)


def test_nan_is_not_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"n.json: invalid JSON: NaN is not valid JSON"):
        load_connector_config(write(tmp_path, "n.json", '{"x": NaN}'))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('["a"]', "a connector config must be a JSON object, not an array"),
        ('"a"', "a connector config must be a JSON object, not a string"),
        ("5", "a connector config must be a JSON object, not a number"),
        ('{"name": "x", "config": "a=b"}', '"config" must be a JSON object of connector settings, not a string'),
        ('{"name": 5, "config": {}}', '"name" must be a string, not a number'),
        ('{"name": "x", "config": {}, "tasks.max": "1"}', "unexpected top-level key(s) 'tasks.max' next to \"config\""),
    ],
)
def test_wrong_shapes_are_reported(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigFileError) as info:
        load_connector_config(write(tmp_path, "c.json", text))
    assert str(info.value).startswith(str(tmp_path / "c.json") + ": ")
    assert message in str(info.value)


def test_every_bad_value_is_reported_at_once(tmp_path: Path) -> None:
    text = '{"name": "x", "config": {"topics": ["a", "b"], "nested": {"a": 1}, "gone": null, "ok": "1"}}'
    with pytest.raises(ConfigFileError) as info:
        load_connector_config(write(tmp_path, "c.json", text))
    message = str(info.value)
    assert "config.topics: must be a string, number or boolean, not an array; write a list as one comma-separated" \
        in message
    assert "config.nested: must be a string, number or boolean, not an object" in message
    assert "config.gone: must be a string, number or boolean, not null" in message
    assert "config.ok" not in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"missing.json: cannot read connector config file: No such file"):
        load_connector_config(tmp_path / "missing.json")
    with pytest.raises(ConfigFileError, match=r"worker.properties: cannot read worker config file: No such file"):
        load_worker_config(tmp_path / "worker.properties")


def test_format_is_sniffed_without_a_known_extension(tmp_path: Path) -> None:
    assert load_connector_config(write(tmp_path, "c.conf", '  \n{"name": "x", "topic": "t"}')) == {
        "name": "x", "topic": "t"}
    assert load_connector_config(write(tmp_path, "c.conf", "name=x\ntopic=t\n")) == {"name": "x", "topic": "t"}


def test_properties_extension_is_never_json(tmp_path: Path) -> None:
    # A .properties file starting with "{" is a (strange) properties file, as Kafka would read it.
    assert load_connector_config(write(tmp_path, "c.properties", "{a=b\n")) == {"{a": "b"}


def test_json_with_utf8_bom_and_non_ascii(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes("\ufeff{\"name\": \"café\", \"config\": {\"topic\": \"größe\"}}".encode())
    assert load_connector_config(path) == {"name": "café", "topic": "größe"}


def test_properties_syntax_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"bad.properties: invalid properties file, line 1: malformed"):
        load_connector_config(write(tmp_path, "bad.properties", "a=\\u1"))


def test_worker_config_stock_standalone() -> None:
    worker = load_worker_config(KAFKA_CONFIG / "connect-standalone.properties")
    assert worker["bootstrap.servers"] == "localhost:9092"
    assert worker["offset.storage.file.filename"] == "/tmp/connect.offsets"
    assert len(worker) == 7


def test_worker_config_as_flat_json(tmp_path: Path) -> None:
    path = write(tmp_path, "worker.json", '{"bootstrap.servers": "localhost:9092", "offset.flush.interval.ms": 10000}')
    assert load_worker_config(path) == {"bootstrap.servers": "localhost:9092", "offset.flush.interval.ms": "10000"}


def test_worker_config_json_must_be_flat(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"invalid worker config value\(s\):\n  - config: must be a string"):
        load_worker_config(write(tmp_path, "w.json", '{"config": {"a": "b"}}'))
    with pytest.raises(ConfigFileError, match="a worker config must be a JSON object, not an array"):
        load_worker_config(write(tmp_path, "w.json", "[]"))
