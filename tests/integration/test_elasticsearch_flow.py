"""`python -m bytewax.run flows.kafka_to_elasticsearch`: settings from the environment, offsets in recovery."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.es_helpers import documents
from tests.integration.kafka_helpers import REPO, cli_env, produce


def test_bytewax_run_kafka_to_elasticsearch_from_environment(apache_kafka, elasticsearch, tmp_path: Path,
                                                             unique_name: str) -> None:
    kafka = apache_kafka
    kafka.create_topic(unique_name, partitions=2)
    produce(kafka.bootstrap_servers, unique_name,
            [{"key": f"k{i}".encode(), "value": b'{"n":%d}' % i, "partition": i % 2} for i in range(20)])
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    subprocess.run([sys.executable, "-m", "bytewax.recovery", str(recovery), "1"], check=True, env=cli_env())
    env = cli_env(PYCONNECT_TOPICS=unique_name, PYCONNECT_BOOTSTRAP_SERVERS=kafka.bootstrap_servers,
                  PYCONNECT_ELASTICSEARCH_URL=elasticsearch.url, PYCONNECT_KEY_IGNORE="false",
                  PYCONNECT_STOP_AT_END="1", PYCONNECT_CONFIG=str(tmp_path / "none.properties"))
    cmd = [sys.executable, "-m", "bytewax.run", "flows.kafka_to_elasticsearch", "-r", str(recovery), "-s", "1",
           "-b", "0"]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert documents(elasticsearch.url, unique_name) == {f"k{i}": {"n": i} for i in range(20)}
    # Offsets are in the recovery store: a second run reads nothing new and the index is unchanged.
    produce(kafka.bootstrap_servers, unique_name, [{"key": b"k99", "value": b'{"n":99}', "partition": 0}])
    again = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    docs = documents(elasticsearch.url, unique_name)
    assert len(docs) == 21 and docs["k99"] == {"n": 99}
