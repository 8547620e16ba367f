"""Confluent's S3 sink as a plain Bytewax flow: a Kafka topic → objects in an S3 bucket.

    python -m bytewax.run flows.kafka_to_s3 -r recovery -s 5 -b 0     # exactly-once needs the recovery store
    PYCONNECT_STOP_AT_END=1 python -m bytewax.run flows.kafka_to_s3   # write what is there, commit, stop

Settings (environment variables, else `kafka_to_s3.properties` beside this file, else defaults);
any other S3 sink key (`partitioner.class`, `rotate.interval.ms`, `s3.compression.type`, ...) goes
in the properties file, as in a Kafka Connect connector config:

| variable | key | default |
|---|---|---|
| PYCONNECT_TOPICS | topics | demo-kafka-connect |
| PYCONNECT_BOOTSTRAP_SERVERS | bootstrap.servers | localhost:9092 |
| PYCONNECT_S3_BUCKET | s3.bucket.name | pyconnect-demo |
| PYCONNECT_S3_REGION | s3.region | us-east-1 |
| PYCONNECT_S3_URL | store.url (any S3-compatible endpoint) | (AWS) |
| PYCONNECT_S3_FORMAT | format.class | io.confluent.connect.s3.format.json.JsonFormat |
| PYCONNECT_FLUSH_SIZE | flush.size | 1000 |
| PYCONNECT_STOP_AT_END | (1 = commit open files and stop at the end of the topics) | 0 |
| PYCONNECT_CONFIG | a .properties file with any connector or worker keys | kafka_to_s3.properties |

Credentials come from boto3's usual chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, a profile, an
instance role), or from `aws.access.key.id`/`aws.secret.access.key` in the properties file.
"""

from __future__ import annotations

import os

from flows._settings import flow_settings, split_worker, truthy
from pyconnect_flow.flow import connector_flow

WORKER_KEYS = ("bootstrap.servers", "key.converter", "value.converter", "key.converter.schemas.enable",
               "value.converter.schemas.enable")

settings = flow_settings(
    __file__,
    defaults={
        "name": "kafka-to-s3",
        "connector.class": "io.confluent.connect.s3.S3SinkConnector",
        "topics": "demo-kafka-connect",
        "bootstrap.servers": "localhost:9092",
        "s3.bucket.name": "pyconnect-demo",
        "s3.region": "us-east-1",
        "format.class": "io.confluent.connect.s3.format.json.JsonFormat",
        "flush.size": "1000",
    },
    env={"PYCONNECT_TOPICS": "topics", "PYCONNECT_BOOTSTRAP_SERVERS": "bootstrap.servers",
         "PYCONNECT_S3_BUCKET": "s3.bucket.name", "PYCONNECT_S3_REGION": "s3.region", "PYCONNECT_S3_URL": "store.url",
         "PYCONNECT_S3_FORMAT": "format.class", "PYCONNECT_FLUSH_SIZE": "flush.size"},
)
connector, worker = split_worker(settings, WORKER_KEYS)
flow = connector_flow(connector, worker, stop_at_end=truthy(os.environ.get("PYCONNECT_STOP_AT_END")))
