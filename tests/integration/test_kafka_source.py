"""KafkaSource with its bounded read-ahead: batches larger than a fetch are still read, in order."""

from __future__ import annotations

import os

import pytest
from confluent_kafka import Producer

from pyconnect_flow.connectors.kafka import KafkaSource
from pyconnect_flow.connectors.kafka_clients import READ_AHEAD_BYTES
from pyconnect_flow.contract.source import EndOfInput


def read_all(source: KafkaSource, partition: str) -> list[bytes]:
    reader = source.open(partition, None)
    values: list[bytes] = []
    try:
        while True:
            try:
                values.extend(r.value for r in reader.read())
            except EndOfInput:
                return values
    finally:
        reader.close()


@pytest.mark.all_brokers
def test_messages_and_batches_larger_than_one_fetch_are_read(kafka, unique_name: str) -> None:
    kafka.create_topic(unique_name, partitions=1)
    size = READ_AHEAD_BYTES + READ_AHEAD_BYTES // 2  # one message exceeds fetch.max.bytes on its own
    values = [bytes([i]) + os.urandom(size - 1) for i in range(6)]
    small = [b"small-%d" % i for i in range(3000)]
    failures: list[object] = []
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "linger.ms": 50,
                         "batch.size": 1_000_000})  # batches of two large messages; brokers take up to 1 MB
    for v in [*values, *small]:
        producer.produce(unique_name, v, partition=0, on_delivery=lambda err, _: err and failures.append(err))
    assert producer.flush(30) == 0
    assert not failures
    source = KafkaSource({"bootstrap.servers": kafka.bootstrap_servers}, topics=[unique_name],
                         group_id=unique_name, stop_at_end=True, commit_offsets=False)
    assert read_all(source, f"{unique_name}-0") == [*values, *small]
