"""Worker files: typos of Kafka Connect's worker keys are refused with a did-you-mean; the list of keys is
Kafka's own (checked against the Apache Kafka on the test classpath)."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.config.worker_keys import KAFKA_CONNECT_WORKER_KEYS
from pyconnect_flow.engine.spec import validate_worker
from tests.reference import maven

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "WorkerKeys.java"


def test_the_worker_keys_are_kafka_connects_own(tmp_path: Path) -> None:
    java = maven.java()
    classpath = maven.classpath()
    subprocess.run([str(Path(java).with_name("javac")), "-d", str(tmp_path), "-cp", classpath, str(REFERENCE)],
                   check=True, capture_output=True, timeout=120)
    done = subprocess.run([java, "-cp", f"{classpath}:{tmp_path}", "WorkerKeys",
                           "org.apache.kafka.connect.runtime.distributed.DistributedConfig",
                           "org.apache.kafka.connect.runtime.standalone.StandaloneConfig"],
                          check=True, capture_output=True, text=True, timeout=120)
    assert set(done.stdout.split()) == KAFKA_CONNECT_WORKER_KEYS


@pytest.mark.parametrize(("typo", "meant"), [("bootstrap.server", "bootstrap.servers"),
                                             ("offset.flush.intervall.ms", "offset.flush.interval.ms"),
                                             ("offset.storage.file.filenme", "offset.storage.file.filename")])
def test_a_typo_of_a_worker_key_is_refused_with_a_did_you_mean(typo: str, meant: str) -> None:
    with pytest.raises(ConfigException) as info:
        validate_worker({"bootstrap.servers": "127.0.0.1:9092", typo: "1"}, "w.properties")
    assert f"{typo}: unknown key; did you mean '{meant}'" in str(info.value)


def test_kafka_connect_keys_we_do_not_use_pass_and_foreign_keys_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    worker = {"bootstrap.servers": "127.0.0.1:9092", "plugin.path": "/opt/connectors", "listeners": "http://:8083",
              "producer.compression.type": "lz4", "key.converter.schemas.enable": "false",
              "config.providers": "file", "config.providers.file.class": "x", "company.team": "data"}
    with caplog.at_level(logging.WARNING):
        validate_worker(worker, "w.properties")
    assert [r.getMessage() for r in caplog.records] == [
        "The configuration 'company.team' of w.properties was supplied but isn't a known config"]
