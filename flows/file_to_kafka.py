"""FileStreamSource as a plain Bytewax flow: lines of a file → a Kafka topic (JsonConverter).

    python -m bytewax.run flows.file_to_kafka                  # tails the file, like Kafka Connect
    PYCONNECT_STOP_AT_END=1 python -m bytewax.run flows.file_to_kafka
    python -m bytewax.run flows.file_to_kafka -r recovery -s 5 -b 0   # with offsets kept in ./recovery

Settings (environment variables, else `file_to_kafka.properties` beside this file, else defaults):

| variable | key | default |
|---|---|---|
| PYCONNECT_FILE | file | the demo text file shipped with pyconnect-flow |
| PYCONNECT_TOPIC | topic | demo-kafka-connect |
| PYCONNECT_BOOTSTRAP_SERVERS | bootstrap.servers | localhost:9092 |
| PYCONNECT_STOP_AT_END | (1 = stop at end of file) | 0 (tail) |
| PYCONNECT_CONFIG | a .properties file with any connector or worker keys | file_to_kafka.properties |
"""

from __future__ import annotations

import os

from flows._settings import flow_settings, split_worker, truthy
from pyconnect_flow.demo import DEMO_FILE
from pyconnect_flow.flow import connector_flow

WORKER_KEYS = ("bootstrap.servers", "key.converter", "value.converter", "key.converter.schemas.enable",
               "value.converter.schemas.enable", "topic.creation.enable")

settings = flow_settings(
    __file__,
    defaults={
        "name": "file-to-kafka",
        "connector.class": "FileStreamSource",
        "file": str(DEMO_FILE),
        "topic": "demo-kafka-connect",
        "bootstrap.servers": "localhost:9092",
    },
    env={"PYCONNECT_FILE": "file", "PYCONNECT_TOPIC": "topic", "PYCONNECT_BOOTSTRAP_SERVERS": "bootstrap.servers"},
)
connector, worker = split_worker(settings, WORKER_KEYS)
flow = connector_flow(connector, worker, stop_at_end=truthy(os.environ.get("PYCONNECT_STOP_AT_END")))
