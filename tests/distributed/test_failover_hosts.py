"""Three distributed workers on three hosts (network namespaces): one loses power, one loses its network.

Each worker runs a FileStreamSource and a Kafka → PostgreSQL upsert sink (six connectors, two a worker).
Mid-stream one host is killed (every process in it, kill -9) and another is cut off the network. Their four
connectors must run again on the third worker within the bound (30 s by default), every line must reach
Kafka (duplicates only from the epoch in flight), every table must hold exactly the expected rows, and the
third worker's own connectors must never restart. The failover times are printed.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pyconnect_flow.embedded.kafka import KafkaEndpoint
from pyconnect_flow.embedded.postgres import PostgresEndpoint
from tests.distributed.netns import Hosts
from tests.integration.distributed_helpers import Cluster
from tests.integration.kafka_helpers import cli_env, produce, read_topic

FAILOVER_BOUND_S = 30.0
ROWS = 3000
LINES = 3000
KEY = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}
ROW = {"type": "struct", "name": "row", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False}, {"field": "name", "type": "string", "optional": True}]}


def _envelope(schema: dict[str, Any], payload: Any) -> bytes:
    return json.dumps({"schema": schema, "payload": payload}).encode()


def _rows(postgres: PostgresEndpoint, table: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(postgres.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                return []
            return [tuple(r) for r in conn.execute(sa.text(f'SELECT id, name FROM "{table}" ORDER BY id'))]
    finally:
        engine.dispose()


def _lines(bootstrap: str, topic: str) -> list[str]:
    return [m.value.decode() for m in read_topic(bootstrap, topic, LINES, timeout=10)]


def test_connectors_of_a_dead_and_a_cut_off_host_run_again_on_the_third(
        hosts: Hosts, bridge_kafka: KafkaEndpoint, bridge_postgres: PostgresEndpoint, tmp_path: Path,
        unique_name: str) -> None:
    bootstrap = bridge_kafka.bootstrap_servers

    def launch(i: int, argv: Any, log: Any) -> subprocess.Popen[str]:
        return hosts[i].popen(list(argv), stdout=log, stderr=subprocess.STDOUT, text=True, env=cli_env())

    cluster = Cluster(tmp_path, bootstrap, 3, unique_name, hosts=[h.ip for h in hosts], launch=launch,
                      keys={"value.converter": "org.apache.kafka.connect.json.JsonConverter",
                            "key.converter": "org.apache.kafka.connect.json.JsonConverter"})
    try:
        cluster.start_all(timeout=90)
        sources = [f"{unique_name}-file-{i}" for i in range(3)]
        sinks = [f"{unique_name}-pg-{i}" for i in range(3)]
        files = {name: tmp_path / f"{name}.txt" for name in sources}
        for name in sources:
            files[name].write_text("".join(f"{name}-{n}\n" for n in range(LINES // 3)))
            config = {"connector.class": "FileStreamSource", "file": str(files[name]), "topic": name,
                      "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
            assert cluster.clients[0].post("/connectors", json={"name": name, "config": config}).status_code == 201
        jdbc = (f"jdbc:postgresql://{bridge_postgres.host}:{bridge_postgres.port}/{bridge_postgres.database}"
                f"?user={bridge_postgres.user}&password={bridge_postgres.password}")
        for name in sinks:
            bridge_kafka.create_topic(name, partitions=3)
            config = {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": name,
                      "connection.url": jdbc, "insert.mode": "upsert", "pk.mode": "record_key", "auto.create": "true",
                      "table.name.format": name}
            assert cluster.clients[1].post("/connectors", json={"name": name, "config": config}).status_code == 201
        names = sources + sinks
        owners = {n: cluster.wait_for(f"{n} running", lambda n=n: cluster.running_on(n), timeout=60) for n in names}
        assert Counter(owners.values()) == Counter({cluster.worker_id(i): 2 for i in range(3)}), owners

        # Rows go in while the hosts fail: a producer thread in the root namespace.
        def feed(start: int, stop: int) -> None:
            for first in range(start, stop, 100):
                for name in sinks:
                    produce(bootstrap, name, [{"key": _envelope(KEY, {"id": i}),
                                               "value": _envelope(ROW, {"id": i, "name": f"{name}-{i}"})}
                                              for i in range(first, min(first + 100, stop))])
                time.sleep(0.05)

        feed(0, ROWS // 3)
        feeder = threading.Thread(target=feed, args=(ROWS // 3, ROWS))
        feeder.start()
        dead, cut = 0, 1
        survivor = 2
        moved = [n for n in names if owners[n] in (cluster.worker_id(dead), cluster.worker_id(cut))]
        stayed = [n for n in names if owners[n] == cluster.worker_id(survivor)]
        for name in sources:
            with files[name].open("a") as f:
                f.writelines(f"{name}-{n}\n" for n in range(LINES // 3, 2 * LINES // 3))
        hosts[dead].kill_all()
        hosts[cut].cut()
        failed_at = time.monotonic()
        for name in sources:
            with files[name].open("a") as f:
                f.writelines(f"{name}-{n}\n" for n in range(2 * LINES // 3, LINES))
        times = {}
        for name in moved:
            cluster.wait_for(f"{name} on the survivor",
                             lambda name=name: cluster.running_on(name, via=survivor) == cluster.worker_id(survivor),
                             timeout=FAILOVER_BOUND_S + 30)
            times[name] = time.monotonic() - failed_at
        feeder.join()
        print("failover times (s): " + ", ".join(f"{n}: {t:.1f}" for n, t in sorted(times.items())))
        assert max(times.values()) <= FAILOVER_BOUND_S, times

        for name in sources:
            cluster.wait_for(f"{name} complete", lambda name=name: len(set(_lines(bootstrap, name))) >= LINES,
                             timeout=90)
            lines = _lines(bootstrap, name)
            assert set(lines) == {f"{name}-{n}" for n in range(LINES)}
            duplicates = sum(c - 1 for c in Counter(lines).values())
            assert duplicates <= 2 * LINES // 3, f"{name}: {duplicates} duplicates"
        for name in sinks:
            cluster.wait_for(f"{name} rows", lambda name=name: len(_rows(bridge_postgres, name)) >= ROWS, timeout=90)
            assert _rows(bridge_postgres, name) == [(i, f"{name}-{i}") for i in range(ROWS)]
        survivor_log = cluster.log(survivor).read_text()
        for name in stayed:
            assert survivor_log.count(f"Creating connector {name} ") == 1, f"{name} restarted on a healthy worker"
            assert cluster.running_on(name, via=survivor) == cluster.worker_id(survivor)
        # The cut-off worker stopped its connectors by itself (its own fence), so none ran twice for long.
        cluster.wait_for("the cut-off worker's fence", lambda: "has not reached Kafka" in cluster.log(cut).read_text(),
                         timeout=30)
    finally:
        hosts[1].restore()
        cluster.close()
