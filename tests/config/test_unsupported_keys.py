"""Keys of Confluent's JDBC and S3 connectors that we do not implement: a migrated config that carries them
at Confluent's defaults runs (with a warning naming each); any other value is refused with the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyconnect_flow.connectors.s3.sink import S3SinkConnector
from pyconnect_flow.connectors.sql.connector import SqlSinkConnector, SqlSourceConnector
from pyconnect_flow.contract.connector import Connector
from pyconnect_flow.engine.spec import check_connector
from tests.integration.kafka_helpers import cli_env

WORKER = {"bootstrap.servers": "127.0.0.1:1"}
BASES: dict[type[Connector], dict[str, str]] = {
    SqlSinkConnector: {"name": "jdbc-sink", "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
                       "topics": "t", "connection.url": "jdbc:postgresql://db:5432/shop"},
    SqlSourceConnector: {"name": "jdbc-source", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
                         "connection.url": "jdbc:postgresql://db:5432/shop", "mode": "bulk", "topic.prefix": "db-"},
    S3SinkConnector: {"name": "s3-sink", "connector.class": "io.confluent.connect.s3.S3SinkConnector",
                      "topics": "t", "s3.bucket.name": "b", "flush.size": "3",
                      "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
                      "storage.class": "io.confluent.connect.s3.storage.S3Storage"},
}
CONNECTORS = list(BASES)


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda c: c.__name__)
def test_every_unsupported_key_at_confluents_default_is_accepted_with_a_warning(
        cls: type[Connector], caplog: pytest.LogCaptureFixture) -> None:
    keys = cls.UNSUPPORTED_KEYS
    assert len(keys) >= 8
    assert not set(keys) & {k.name for k in cls.CONFIG}, "a key is both implemented and unsupported"
    config = {**BASES[cls], **{name: key.default for name, key in keys.items()}}
    with caplog.at_level("WARNING", logger="pyconnect_flow.config"):
        spec, issues = check_connector(config, WORKER)
    assert issues == [] and spec is not None
    warned = {r.getMessage().split(": ", 1)[1].split(" is set to")[0] for r in caplog.records}
    assert warned == set(keys)
    assert all(f"Connector '{BASES[cls]['name']}'" in r.getMessage() and "does not implement it" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda c: c.__name__)
def test_every_unsupported_key_at_another_value_is_refused_with_the_reason(cls: type[Connector]) -> None:
    keys = cls.UNSUPPORTED_KEYS
    config = {**BASES[cls], **{name: "something-else" for name in keys}}
    spec, issues = check_connector(config, WORKER)
    assert spec is None
    by_key = {i.key: i.message for i in issues}
    assert set(by_key) == set(keys), set(by_key) ^ set(keys)
    for name, key in keys.items():
        assert by_key[name].startswith(f"not implemented by pyconnect-flow: {key.reason}; only Confluent's default")
        assert "something-else" not in by_key[name]


def test_defaults_match_as_confluent_spells_them() -> None:
    keys = S3SinkConnector.UNSUPPORTED_KEYS
    assert keys["s3.credentials.provider.class"].is_default("DefaultAWSCredentialsProviderChain")
    assert keys["s3.credentials.provider.class"].is_default(
        "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider")
    assert keys["s3.object.tagging"].is_default(" FALSE ")
    assert not keys["s3.object.tagging"].is_default("true")
    assert not keys["max.files.scan.limit"].is_default("1.100")
    assert SqlSourceConnector.UNSUPPORTED_KEYS["quote.sql.identifiers"].is_default("ALWAYS")


def test_validate_runs_a_migrated_confluent_config_and_names_what_it_does_not_implement(tmp_path: Path) -> None:
    worker = tmp_path / "worker.properties"
    worker.write_text("bootstrap.servers=127.0.0.1:1\n")
    ok = tmp_path / "s3.properties"
    ok.write_text("".join(f"{k}={v}\n" for k, v in BASES[S3SinkConnector].items())
                  + "s3.object.tagging=false\ns3.sse.customer.key=\nenhanced.avro.schema.support=true\n")
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow", "validate", str(worker), str(ok)],
                          capture_output=True, text=True, timeout=60, env=cli_env())
    assert done.returncode == 0, done.stderr
    assert ("Connector 's3-sink': s3.object.tagging is set to Confluent's default ('false'), which is accepted, "
            "but pyconnect-flow does not implement it: objects are not tagged") in done.stderr
    assert "enhanced.avro.schema.support" in done.stderr
    bad = tmp_path / "bad.properties"
    bad.write_text(ok.read_text().replace("s3.sse.customer.key=", "s3.sse.customer.key=c2VjcmV0LWtleQ=="))
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow", "validate", str(worker), str(bad)],
                          capture_output=True, text=True, timeout=60, env=cli_env())
    assert done.returncode == 1
    assert ("s3.sse.customer.key: not implemented by pyconnect-flow: no server-side encryption is asked for (the "
            "bucket's default encryption applies); only Confluent's default (empty) is accepted, or leave the key "
            "out") in done.stderr
    assert "c2VjcmV0LWtleQ" not in done.stdout + done.stderr
