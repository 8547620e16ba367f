"""The JDBC sink as a plain Bytewax flow: Kafka topics (JSON with schemas) → PostgreSQL (or any SQL database).

    PYCONNECT_DATABASE_URL=postgresql+psycopg://user:pw@localhost/db python -m bytewax.run flows.kafka_to_postgres
    python -m bytewax.run flows.kafka_to_postgres      # no URL: a SQLite file, ./kafka_to_postgres.db
    PYCONNECT_STOP_AT_END=1 python -m bytewax.run flows.kafka_to_postgres -r recovery -s 5 -b 0

Settings (environment variables, else `kafka_to_postgres.properties` beside this file, else defaults);
the properties file may hold any key of Confluent's JDBC sink (`insert.mode`, `pk.mode`, `pk.fields`,
`table.name.format`, `delete.enabled`, `errors.*`, ...) and the worker keys below:

| variable | key | default |
|---|---|---|
| PYCONNECT_TOPICS | topics | demo-rows |
| PYCONNECT_BOOTSTRAP_SERVERS | bootstrap.servers | localhost:9092 |
| PYCONNECT_DATABASE_URL | connection.url (SQLAlchemy or `jdbc:` URL) | `jdbc:sqlite:kafka_to_postgres.db` (SQLite file in the working directory) |
| PYCONNECT_DATABASE_USER / PYCONNECT_DATABASE_PASSWORD | connection.user / connection.password | from the URL |
| PYCONNECT_INSERT_MODE | insert.mode | upsert |
| PYCONNECT_PK_MODE | pk.mode | kafka (`__connect_topic`, `__connect_partition`, `__connect_offset`: replays overwrite) |
| PYCONNECT_STOP_AT_END | (1 = stop at the end of the topics) | 0 (keep consuming) |
| PYCONNECT_CONFIG | a .properties file with any connector or worker keys | kafka_to_postgres.properties |

Tables are created (`auto.create=true`) and gain columns for new optional fields (`auto.evolve=true`).
"""

from __future__ import annotations

import os

from flows._settings import flow_settings, split_worker, truthy
from pyconnect_flow.flow import connector_flow

WORKER_KEYS = ("bootstrap.servers", "key.converter", "value.converter", "key.converter.schemas.enable",
               "value.converter.schemas.enable", "topic.creation.enable")

settings = flow_settings(
    __file__,
    defaults={
        "name": "kafka-to-postgres",
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "topics": "demo-rows",
        "connection.url": "jdbc:sqlite:kafka_to_postgres.db",
        "insert.mode": "upsert",
        "pk.mode": "kafka",
        "auto.create": "true",
        "auto.evolve": "true",
        "bootstrap.servers": "localhost:9092",
    },
    env={"PYCONNECT_TOPICS": "topics", "PYCONNECT_BOOTSTRAP_SERVERS": "bootstrap.servers",
         "PYCONNECT_DATABASE_URL": "connection.url", "PYCONNECT_DATABASE_USER": "connection.user",
         "PYCONNECT_DATABASE_PASSWORD": "connection.password", "PYCONNECT_INSERT_MODE": "insert.mode",
         "PYCONNECT_PK_MODE": "pk.mode"},
)
connector, worker = split_worker(settings, WORKER_KEYS)
flow = connector_flow(connector, worker, stop_at_end=truthy(os.environ.get("PYCONNECT_STOP_AT_END")))
