"""Consumer read-ahead defaults: bounded per source partition, overridable by `consumer.*` keys."""

from __future__ import annotations

from pyconnect_flow.connectors.kafka_clients import READ_AHEAD_BYTES, with_read_ahead


def test_read_ahead_is_bounded_by_default() -> None:
    conf = with_read_ahead({"bootstrap.servers": "localhost:9092"})
    assert conf["fetch.max.bytes"] == READ_AHEAD_BYTES
    assert conf["max.partition.fetch.bytes"] == READ_AHEAD_BYTES
    assert conf["message.max.bytes"] <= conf["fetch.max.bytes"]  # librdkafka refuses the config otherwise
    assert conf["queued.max.messages.kbytes"] == 1024
    assert conf["fetch.queue.backoff.ms"] < 100


def test_user_settings_win() -> None:
    conf = with_read_ahead({"queued.max.messages.kbytes": "65536", "fetch.max.bytes": "52428800",
                            "fetch.queue.backoff.ms": "1000"})
    assert conf["queued.max.messages.kbytes"] == "65536"
    assert conf["fetch.max.bytes"] == "52428800"
    assert conf["fetch.queue.backoff.ms"] == "1000"
    assert "max.partition.fetch.bytes" not in conf  # librdkafka's own default then


def test_a_larger_request_limit_raises_the_fetch_size() -> None:
    conf = with_read_ahead({"message.max.bytes": "2000000"})
    assert conf["fetch.max.bytes"] == 2_000_000
    assert conf["message.max.bytes"] == "2000000"


def test_librdkafka_accepts_the_defaults() -> None:
    from confluent_kafka import Consumer

    for user in ({}, {"message.max.bytes": "2000000"}, {"fetch.max.bytes": "100000"}):
        Consumer({"bootstrap.servers": "localhost:1", "group.id": "g", **with_read_ahead(user)}).close()
