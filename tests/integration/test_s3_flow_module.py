"""`python -m bytewax.run flows.kafka_to_s3`, configured from the environment, with a recovery store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.kafka_helpers import REPO, cli_env, produce
from tests.integration.s3_sink_helpers import bucket_contents


def test_bytewax_run_kafka_to_s3_from_environment(apache_kafka, s3, tmp_path: Path, unique_name: str) -> None:
    apache_kafka.create_topic(unique_name, partitions=1)
    s3.client().create_bucket(Bucket=unique_name)
    produce(apache_kafka.bootstrap_servers, unique_name, [{"value": b'{"schema":{"type":"string","optional":false},'
                                                                   b'"payload":"v%d"}' % i} for i in range(5)])
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    subprocess.run([sys.executable, "-m", "bytewax.recovery", str(recovery), "1"], check=True, env=cli_env())
    env = cli_env(PYCONNECT_TOPICS=unique_name, PYCONNECT_BOOTSTRAP_SERVERS=apache_kafka.bootstrap_servers,
                  PYCONNECT_S3_BUCKET=unique_name, PYCONNECT_S3_URL=s3.endpoint_url, PYCONNECT_S3_REGION=s3.region,
                  PYCONNECT_FLUSH_SIZE="2", PYCONNECT_STOP_AT_END="1", PYCONNECT_CONFIG=str(tmp_path / "none"),
                  AWS_ACCESS_KEY_ID=s3.access_key_id or "", AWS_SECRET_ACCESS_KEY=s3.secret_access_key or "")
    cmd = [sys.executable, "-m", "bytewax.run", "flows.kafka_to_s3", "-r", str(recovery), "-s", "1", "-b", "0"]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = bucket_contents(s3.client(), unique_name, f"topics/{unique_name}/partition=0/")
    assert {k: v.decode().splitlines() for k, v in got.items()} == {
        f"{unique_name}+0+0000000000.json": ['"v0"', '"v1"'],
        f"{unique_name}+0+0000000002.json": ['"v2"', '"v3"'],
        f"{unique_name}+0+0000000004.json": ['"v4"'],
    }
    assert json.loads(got[f"{unique_name}+0+0000000004.json"]) == "v4"
