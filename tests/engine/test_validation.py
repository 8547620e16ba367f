"""Connector config validation: every bad key at once, before any data moves; secrets never shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.engine.spec import check_connector, validate_connector, validate_worker, worker_file_issues

WORKER = {"bootstrap.servers": "127.0.0.1:1"}


def issues_of(config: dict[str, str]) -> dict[str, str]:
    spec, issues = check_connector(config, WORKER)
    assert spec is None
    return {i.key: i.message for i in issues}


def test_valid_file_source_config_gives_typed_values() -> None:
    spec = validate_connector({"name": "src", "connector.class": "FileStreamSource", "file": "a.txt",
                               "topic": "t", "batch.size": "10"}, WORKER)
    assert spec.kind == "source" and spec.config["batch.size"] == 10 and spec.config["tasks.max"] == 1
    assert spec.converter("value") == ("org.apache.kafka.connect.json.JsonConverter", {})


def test_every_problem_is_reported_together() -> None:
    issues = issues_of({
        "name": "bad", "connector.class": "FileStreamSource", "file": "a.txt", "topc": "t", "batch.size": "x",
        "errors.tolerance": "some", "transforms": "a,b", "transforms.a.type": "NoSuchTransform",
        "transforms.b.type": "org.apache.kafka.connect.transforms.Cast$Value", "transforms.b.spec": "age:int99",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.decimal.format": "HEX",
    })
    assert "did you mean 'topic'" in issues["topc"]
    assert "missing required key" in issues["topic"]
    assert "integer" in issues["batch.size"]
    assert "errors.tolerance" in issues
    assert "transforms.a.type" in issues
    assert any(k.startswith("transforms.b") for k in issues)
    assert "value.converter.decimal.format" in issues


def test_sink_topics_rules_match_kafka_connect() -> None:
    base = {"name": "s", "connector.class": "FileStreamSink"}
    assert "Must configure one of topics or topics.regex" in issues_of(base)["topics"]
    both = issues_of({**base, "topics": "a", "topics.regex": "a.*"})
    assert "mutually exclusive" in both["topics"]
    dlq = issues_of({**base, "topics": "a,b", "errors.deadletterqueue.topic.name": "b"})
    assert "may not be included" in dlq["errors.deadletterqueue.topic.name"]
    assert "invalid regular expression" in issues_of({**base, "topics.regex": "(("})["topics.regex"]


def test_unknown_connector_class_is_one_of_the_issues() -> None:
    issues = issues_of({"name": "x", "connector.class": "com.example.Nope", "tasks.max": "0"})
    assert "unknown connector class 'com.example.Nope'" in issues["connector.class"]
    assert "one of FileStreamSource, FileStreamSink," in issues["connector.class"]
    assert "tasks.max" in issues


def test_exception_names_the_connector_and_lists_each_key() -> None:
    with pytest.raises(ConfigException) as info:
        validate_connector({"name": "my-conn", "connector.class": "FileStreamSource", "file": "a"}, WORKER)
    assert "Invalid configuration for connector 'my-conn'" in str(info.value)
    assert "  - topic: missing required key" in str(info.value)


def test_secrets_from_env_provider_are_resolved_but_never_printed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PCF_TEST_SECRET", "s3cr3t-value")
    (tmp_path / "w.properties").write_text("bootstrap.servers=127.0.0.1:1\n")
    (tmp_path / "c.json").write_text(json.dumps({"name": "sec", "config": {
        "connector.class": "FileStreamSource", "file": "a.txt", "topic": "t",
        "producer.override.sasl.password": "${env:PCF_TEST_SECRET}",
        "producer.override.ssl.key.password": "plain-secret-value"}}))
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow", "validate", str(tmp_path / "w.properties"),
                           str(tmp_path / "c.json")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "s3cr3t-value" not in done.stdout + done.stderr
    assert "plain-secret-value" not in done.stdout + done.stderr
    assert "${env:PCF_TEST_SECRET}" in done.stdout
    assert "[hidden]" in done.stdout


def test_secret_values_stay_out_of_validation_errors(tmp_path: Path) -> None:
    (tmp_path / "w.properties").write_text("bootstrap.servers=127.0.0.1:1\n")
    (tmp_path / "c.properties").write_text(
        "name=sec\nconnector.class=FileStreamSource\nfile=a.txt\ntopic=t\n"
        "producer.override.sasl.password=${env:PCF_DOES_NOT_EXIST_9}\nbatch.size=hunter2\n")
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow", "validate", str(tmp_path / "w.properties"),
                           str(tmp_path / "c.properties")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "PCF_DOES_NOT_EXIST_9" in done.stderr and "batch.size" in done.stderr


def test_unknown_converter_class_is_reported_with_the_available_ones() -> None:
    issues = issues_of({"name": "c", "connector.class": "FileStreamSource", "file": "a", "topic": "t",
                        "value.converter": "org.example.NoSuchConverter"})
    assert "value.converter" in " ".join(issues)
    message = " ".join(issues.values())
    assert "org.example.NoSuchConverter" in message and "JsonConverter" in message


@pytest.mark.parametrize(("line", "problem"), [("connector.class=", "must not be empty"),
                                               ("connector.class=  \t", "must not be empty"),
                                               ("", "missing required key")])
def test_empty_or_missing_connector_class_says_what_is_allowed(tmp_path: Path, line: str, problem: str) -> None:
    (tmp_path / "w.properties").write_text("bootstrap.servers=127.0.0.1:1\n")
    (tmp_path / "c.properties").write_text(f"name=x\n{line}\nfile=a.txt\ntopic=t\n")
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow", "validate", str(tmp_path / "w.properties"),
                           str(tmp_path / "c.properties")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "AssertionError" not in done.stderr
    assert done.stderr.splitlines() == [
        "pyconnect-flow: Invalid configuration for connector 'x' (1 problem):",
        f"  - connector.class: {problem}; name the connector to run: one of FileStreamSource, FileStreamSink, "
        "KafkaSink, JdbcSink, JdbcSource, ElasticsearchSink, S3Sink (or their Kafka Connect class names, which "
        "`pyconnect-flow connectors` lists), or package.module:Class for your own"]


def test_blank_connector_class_in_json_is_reported_with_the_other_issues() -> None:
    issues = issues_of({"name": "x", "connector.class": " \t ", "tasks.max": "0"})
    assert issues["connector.class"].startswith("must not be empty; name the connector to run: one of ")
    assert "tasks.max" in issues


def test_unknown_connector_class_suggests_the_closest_name() -> None:
    issues = issues_of({"name": "x", "connector.class": "FileSource"})
    assert issues["connector.class"].startswith("unknown connector class 'FileSource' (did you mean "
                                                "'FileStreamSource'?); name the connector to run: one of ")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pyconnect_flow", *args], capture_output=True, text=True, timeout=60)


BOOTSTRAP_MISSING = ("  - bootstrap.servers: missing required key; the connectors read from or write to Kafka: give "
                     "its brokers as host:port[,host:port...] (a worker file must set it, localhost:9092 is not "
                     "assumed)")


@pytest.mark.parametrize("command", ["validate", "standalone"])
@pytest.mark.parametrize("content", [b"hello world\nthis is not a worker file\n",
                                     bytes(b for b in range(256) if b != ord("\\")) * 8],
                         ids=["text", "binary"])
def test_a_garbage_worker_file_is_refused_instead_of_using_localhost(tmp_path: Path, command: str,
                                                                     content: bytes) -> None:
    # Java's Properties reads each such line as a key with an empty value; what is missing is bootstrap.servers.
    worker = tmp_path / "w.properties"
    worker.write_bytes(content)
    (tmp_path / "c.properties").write_text("name=c\nconnector.class=FileStreamSource\nfile=a.txt\ntopic=t\n")
    done = run_cli(command, str(worker), str(tmp_path / "c.properties"))
    assert done.returncode == 1
    # Each garbage line is also logged as a key Kafka Connect does not know; the refusal comes last.
    assert done.stderr.splitlines()[-2:] == [f"pyconnect-flow: Invalid configuration for worker '{worker}' "
                                             "(1 problem):", BOOTSTRAP_MISSING]


def test_an_empty_bootstrap_servers_is_refused_with_the_connector_issues(tmp_path: Path) -> None:
    (tmp_path / "w.properties").write_text("bootstrap.servers=\n")
    (tmp_path / "c.properties").write_text("name=c\nconnector.class=\n")
    done = run_cli("validate", str(tmp_path / "w.properties"), str(tmp_path / "c.properties"))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[:2] == [f"pyconnect-flow: Invalid configuration for worker '{tmp_path / 'w.properties'}' (1 problem):",
                         BOOTSTRAP_MISSING.replace("missing required key", "must not be empty")]
    assert lines[2] == "Invalid configuration for connector 'c' (1 problem):"


def test_configs_built_in_code_keep_kafka_connects_default_bootstrap() -> None:
    worker, values = validate_worker({})
    assert values["bootstrap.servers"] == ["localhost:9092"]
    assert worker_file_issues(worker, uses_kafka=False) == []
    assert [i.key for i in worker_file_issues(worker, uses_kafka=True)] == ["bootstrap.servers"]


@pytest.mark.parametrize("which", ["worker", "connector"])
def test_dev_zero_as_a_config_file_is_refused_naming_it(tmp_path: Path, which: str) -> None:
    (tmp_path / "w.properties").write_text("bootstrap.servers=127.0.0.1:1\n")
    files = {"worker": str(tmp_path / "w.properties"), "connector": str(tmp_path / "w.properties")}
    files[which] = "/dev/zero"
    done = run_cli("validate", files["worker"], files["connector"])
    assert done.returncode == 1
    assert done.stderr == (f"pyconnect-flow: /dev/zero: {which} config file is larger than 1 MiB, the limit for "
                           "config files (is it the right file?)\n")


def test_a_file_reference_to_dev_zero_names_the_key_and_the_file(tmp_path: Path) -> None:
    (tmp_path / "w.properties").write_text("bootstrap.servers=127.0.0.1:1\n")
    (tmp_path / "c.properties").write_text("name=c\nconnector.class=FileStreamSource\nfile=a.txt\n"
                                           "topic=${file:/dev/zero:k}\n")
    done = run_cli("validate", str(tmp_path / "w.properties"), str(tmp_path / "c.properties"))
    assert done.returncode == 1
    assert "  - topic: cannot resolve ${file:/dev/zero:k}: /dev/zero: properties file is larger than 1 MiB, the " \
           "limit for config files (is it the right file?)" in done.stderr.splitlines()
