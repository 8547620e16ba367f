"""The Elasticsearch sink's configuration: Confluent's keys, defaults and cross-key validation."""

from __future__ import annotations

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.connectors.elasticsearch import ElasticsearchSinkConnector
from pyconnect_flow.connectors.elasticsearch.config import CONFIG, EsSinkSettings, resource_map, validate
from pyconnect_flow.connectors.registry import connector_class
from pyconnect_flow.engine.spec import check_connector, validate_connector

BASE = {"name": "es", "connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        "topics": "orders", "connection.url": "http://localhost:9200"}


def issues(**extra: str) -> dict[str, str]:
    raw = {**BASE, **{k.replace("_", "."): v for k, v in extra.items()}}
    _, found = check_connector(raw, {})
    return {i.key: i.message for i in found}


@pytest.mark.parametrize("name", ["io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
                                  "ElasticsearchSinkConnector", "ElasticsearchSink",
                                  "pyconnect_flow.connectors.elasticsearch.ElasticsearchSinkConnector"])
def test_found_by_its_kafka_connect_names(name: str) -> None:
    assert connector_class(name) is ElasticsearchSinkConnector


def test_confluent_defaults() -> None:
    s = EsSinkSettings.from_values(validate_connector(BASE, {}).config)
    assert (s.batch_size, s.bulk_size_bytes, s.max_in_flight, s.max_buffered_records) == (2000, 5242880, 5, 20000)
    assert (s.linger_ms, s.flush_timeout_ms, s.max_retries, s.retry_backoff_ms) == (1, 180000, 5, 100)
    assert (s.connection_timeout_ms, s.read_timeout_ms, s.max_idle_ms) == (1000, 3000, 60000)
    assert (s.key_ignore, s.schema_ignore, s.compact_map_entries, s.drop_invalid_message) == (False, False, True, False)
    assert (s.behavior_on_null_values, s.behavior_on_malformed_documents, s.upsert) == ("fail", "fail", False)
    assert s.ssl is False and s.username is None and s.password is None


def test_urls_are_split_stripped_and_deduplicated() -> None:
    raw = {**BASE, "connection.url": "http://a:9200/, http://b:9200,http://a:9200"}
    assert EsSinkSettings.from_values(validate_connector(raw, {}).config).urls == ("http://a:9200", "http://b:9200")


def test_connection_url_is_required_and_must_be_urls() -> None:
    raw = {k: v for k, v in BASE.items() if k != "connection.url"}
    assert "connection.url" in {i.key for i in check_connector(raw, {})[1]}
    assert "not a valid url" in issues(connection_url="http://host:notaport")["connection.url"]
    found = issues(connection_url="http://elastic:hunter2@host:9200")["connection.url"]
    assert "holds credentials" in found and "hunter2" not in found and "http://host:9200" in found


def test_enums_are_case_insensitive_and_checked() -> None:
    assert issues(**{"write.method": "Upsert", "behavior.on.null.values": "DELETE",
                     "behavior.on.malformed.documents": "warn"}) == {}
    found = issues(**{"write.method": "replace", "behavior.on.null.values": "drop"})
    assert set(found) == {"write.method", "behavior.on.null.values"}


def test_ranges() -> None:
    found = issues(**{"batch.size": "0", "max.in.flight.requests": "1001", "flush.timeout.ms": "999"})
    assert {"batch.size", "max.in.flight.requests", "flush.timeout.ms"} <= set(found)


def test_cross_key_rules_of_confluents_validator() -> None:
    assert "must be set" in issues(connection_username="elastic")["connection.password"]
    assert "can not be set" in issues(**{"key.ignore": "true", "topic.key.ignore": "orders"})["topic.key.ignore"]
    assert "can not be set" in issues(**{"schema.ignore": "true", "topic.schema.ignore": "a"})["schema.ignore"]
    assert "can not be larger" in issues(**{"linger.ms": "5000", "flush.timeout.ms": "1000"})["linger.ms"]
    found = issues(**{"max.buffered.records": "100", "batch.size": "50", "max.in.flight.requests": "3"})
    assert "must be larger than or equal" in found["max.buffered.records"]
    assert "'proxy.host' must be set" in issues(proxy_username="u")["proxy.username"]
    assert "must be set to 'SSL'" in issues(**{"elastic.https.ssl.truststore.location": "/ca.pem"})[
        "elastic.security.protocol"]
    assert "At least these SSL configs" in issues(**{"elastic.security.protocol": "SSL"})["elastic.security.protocol"]
    assert "not supported" in issues(**{"kerberos.user.principal": "me", "kerberos.keytab.path": "/k"})[
        "kerberos.user.principal"]


def test_ssl_stores_must_be_pem() -> None:
    found = issues(**{"elastic.security.protocol": "SSL", "elastic.https.ssl.truststore.location": "/t.jks",
                      "elastic.https.ssl.truststore.type": "JKS"})
    assert "convert the store to PEM" in found["elastic.https.ssl.truststore.type"]
    assert issues(**{"elastic.security.protocol": "SSL", "elastic.https.ssl.truststore.location": "/ca.pem",
                     "elastic.https.ssl.truststore.type": "PEM"}) == {}


def test_password_never_printed() -> None:
    spec = validate_connector({**BASE, "connection.username": "u", "connection.password": "hunter2"}, {})
    settings = EsSinkSettings.from_values(spec.config)
    assert settings.password is not None and settings.password.value == "hunter2"
    assert "hunter2" not in repr(settings) and "hunter2" not in repr(spec.config)
    with pytest.raises(ConfigException) as info:
        validate_connector({**BASE, "connection.password": "hunter2"}, {})
    assert "hunter2" not in str(info.value)


def test_external_resource_mapping() -> None:
    assert resource_map(["orders:orders-v2", " users : people "]) == {"orders": "orders-v2", "users": "people"}
    with pytest.raises(ValueError, match="mapped to multiple resources"):
        resource_map(["a:x", "a:y"])
    with pytest.raises(ValueError, match="expected format"):
        resource_map(["a"])
    assert issues(**{"external.resource.usage": "INDEX",
                     "topic.to.external.resource.mapping": "orders:orders-v2"}) == {}
    found = issues(**{"external.resource.usage": "INDEX", "topic.to.external.resource.mapping": "users:people"})
    assert "not mapped" in found["topic.to.external.resource.mapping"]
    assert "together" in issues(**{"external.resource.usage": "INDEX"})["external.resource.usage"]


def test_data_streams_are_reported_as_unsupported() -> None:
    assert "Either both or neither" in issues(**{"data.stream.type": "LOGS"})["data.stream.type"]
    found = issues(**{"data.stream.type": "LOGS", "data.stream.dataset": "app"})
    assert "not supported" in found["data.stream.type"]


def test_validate_takes_values_with_defaults() -> None:
    values, found = CONFIG.check({"connection.url": "http://x:9200"}, ignore_unknown=True)
    assert found == [] and validate(values, {}) == []


def test_ignore_key_and_schema_per_topic() -> None:
    s = EsSinkSettings(urls=("http://x",), key_ignore_topics=frozenset({"a"}), schema_ignore_topics=frozenset({"b"}))
    assert s.ignore_key("a") and not s.ignore_key("b")
    assert s.ignore_schema("b") and not s.ignore_schema("a")
    assert EsSinkSettings(urls=("http://x",), autogenerated_ids=True).ignore_key("t")
    assert not EsSinkSettings(urls=("http://x",), autogenerated_ids=True, upsert=True).ignore_key("t")
