"""SQL connector configuration: Confluent's keys, defaults and cross-key rules; URLs; secrets."""

from __future__ import annotations

import pytest

from pyconnect_flow.config.definition import ConfigException
from pyconnect_flow.connectors.sql.config import connection_url, safe_url
from pyconnect_flow.connectors.sql.connector import sink_settings
from pyconnect_flow.engine.spec import validate_connector

BASE = {"name": "s", "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": "t",
        "connection.url": "jdbc:sqlite:/tmp/x.db"}
SOURCE = {"name": "src", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
          "connection.url": "sqlite:///x.db", "mode": "bulk"}


def problems(config: dict[str, str]) -> str:
    with pytest.raises(ConfigException) as info:
        validate_connector(config, {})
    return str(info.value)


def test_defaults_are_confluents() -> None:
    spec = validate_connector(BASE, {})
    s = sink_settings(spec.config, "s")
    assert (s.insert_mode, s.pk_mode, s.pk_fields, s.table_name_format) == ("insert", "none", (), "${topic}")
    assert (s.auto_create, s.auto_evolve, s.delete_enabled) == (False, False, False)
    assert (s.batch_size, s.max_retries, s.retry_backoff_ms, s.db_timezone) == (3000, 10, 3000, "UTC")
    assert s.quote_identifiers is True


@pytest.mark.parametrize("name", ["io.confluent.connect.jdbc.JdbcSinkConnector", "JdbcSinkConnector", "JdbcSink",
                                  "SqlSink", "pyconnect_flow.connectors.sql.SqlSinkConnector"])
def test_sink_answers_to_confluent_and_own_names(name: str) -> None:
    assert validate_connector({**BASE, "connector.class": name}, {}).connector.KIND == "sink"


def test_delete_enabled_requires_record_key_on_both_keys() -> None:
    text = problems({**BASE, "delete.enabled": "true", "pk.mode": "record_value"})
    assert text.count("Deletes are only supported for pk.mode record_key") == 2
    assert "delete.enabled:" in text and "pk.mode:" in text
    validate_connector({**BASE, "delete.enabled": "true", "pk.mode": "record_key"}, {})


def test_enums_take_all_lower_or_all_upper_case_only() -> None:
    validate_connector({**BASE, "insert.mode": "UPSERT", "pk.mode": "RECORD_KEY"}, {})
    assert "Invalid enumerator 'Upsert'" in problems({**BASE, "insert.mode": "Upsert", "pk.mode": "kafka"})
    assert "Invalid enumerator 'merge'" in problems({**BASE, "insert.mode": "merge"})


def test_upsert_and_update_need_key_fields_and_kafka_pk_needs_three_names() -> None:
    assert "UPSERT mode requires key field names" in problems({**BASE, "insert.mode": "upsert"})
    assert "UPDATE mode requires key field names" in problems({**BASE, "insert.mode": "update"})
    assert "exactly 3 names" in problems({**BASE, "pk.mode": "kafka", "pk.fields": "a,b"})
    validate_connector({**BASE, "pk.mode": "kafka", "pk.fields": "t,p,o"}, {})


def test_bad_values_are_all_reported_at_once() -> None:
    text = problems({**BASE, "batch.size": "0", "db.timezone": "Mars/Olympus", "quote.sql.identifiers": "sometimes",
                     "connection.url": "nonsense"})
    assert "batch.size" in text and "db.timezone" in text and "quote.sql.identifiers" in text
    assert "connection.url" in text


def test_jdbc_urls_become_sqlalchemy_urls() -> None:
    url = connection_url({"connection.url": "jdbc:postgresql://db.example:5433/shop?user=app&password=s3cret&ssl=true"})
    assert (url.drivername, url.host, url.port, url.database, url.username, url.password) == (
        "postgresql+psycopg", "db.example", 5433, "shop", "app", "s3cret")
    assert url.query == {"sslmode": "require"}
    assert connection_url({"connection.url": "jdbc:sqlite:/data/x.db"}).render_as_string() == "sqlite:////data/x.db"
    assert connection_url({"connection.url": "jdbc:sqlite:rel.db"}).database == "rel.db"
    assert connection_url({"connection.url": "postgresql://h/db"}).drivername == "postgresql+psycopg"


def test_connection_user_and_password_override_the_url_and_are_never_shown() -> None:
    from pyconnect_flow.config.definition import Password

    url = connection_url({"connection.url": "postgresql+psycopg://u:old@h/db", "connection.user": "admin",
                          "connection.password": Password("TopSecret!")})
    assert (url.username, url.password) == ("admin", "TopSecret!")
    assert "TopSecret" not in safe_url(url) and "***" in safe_url(url)
    spec = validate_connector({**BASE, "connection.password": "TopSecret!"}, {})
    assert "TopSecret" not in repr(spec.config) and "TopSecret" not in str(spec.display)


def test_source_rules() -> None:
    assert "Query mode must be specified" in problems({**SOURCE, "mode": ""})
    assert "incrementing.column.name" in problems({**SOURCE, "mode": "incrementing"})
    assert "timestamp.column.name" in problems({**SOURCE, "mode": "timestamp"})
    assert "Do not specify table filtering" in problems({**SOURCE, "query": "select 1", "table.whitelist": "a"})
    assert "topic.prefix" in problems({**SOURCE, "topic.prefix": "bad prefix!"})
    spec = validate_connector({**SOURCE, "connector.class": "JdbcSource", "mode": "timestamp+incrementing",
                               "incrementing.column.name": "id", "timestamp.column.name": "updated"}, {})
    assert spec.connector.KIND == "source"
