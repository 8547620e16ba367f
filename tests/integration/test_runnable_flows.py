"""The runnable entry points: `python -m bytewax.run flows.file_to_kafka` and the main demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.integration.kafka_helpers import REPO, cli_env, read_topic


def test_bytewax_run_file_to_kafka_from_environment(kafka, tmp_path: Path, unique_name: str) -> None:
    src = tmp_path / "lines.txt"
    src.write_text("alpha\nbeta\n")
    kafka.create_topic(unique_name, partitions=3)
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    subprocess.run([sys.executable, "-m", "bytewax.recovery", str(recovery), "1"], check=True, env=cli_env())
    env = cli_env(PYCONNECT_FILE=str(src), PYCONNECT_TOPIC=unique_name,
                  PYCONNECT_BOOTSTRAP_SERVERS=kafka.bootstrap_servers, PYCONNECT_STOP_AT_END="1")
    env.pop("PYTHONPATH")  # the flows package is installed with pyconnect-flow: no path tricks, any directory
    cmd = [sys.executable, "-m", "bytewax.run", "flows.file_to_kafka", "-r", str(recovery), "-s", "1", "-b", "0"]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    values = sorted(json.loads(m.value)["payload"] for m in read_topic(kafka.bootstrap_servers, unique_name, 2))
    assert values == ["alpha", "beta"]
    # The positions are in the recovery store: a second run adds nothing.
    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert len(read_topic(kafka.bootstrap_servers, unique_name)) == 2


def test_bytewax_run_keeps_positions_without_being_asked(kafka, tmp_path: Path, unique_name: str) -> None:
    src = tmp_path / "lines.txt"
    src.write_text("alpha\nbeta\n")
    kafka.create_topic(unique_name, partitions=1)
    env = cli_env(PYCONNECT_FILE=str(src), PYCONNECT_TOPIC=unique_name,
                  PYCONNECT_BOOTSTRAP_SERVERS=kafka.bootstrap_servers, PYCONNECT_STOP_AT_END="1")
    env.pop("PYTHONPATH")
    cmd = [sys.executable, "-m", "bytewax.run", "flows.file_to_kafka"]  # no -r: positions kept all the same
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted((tmp_path / "file-to-kafka.positions").glob("part-*.sqlite3")), list(tmp_path.iterdir())
    with src.open("a") as f:
        f.write("gamma\n")
    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    values = [json.loads(m.value)["payload"] for m in read_topic(kafka.bootstrap_servers, unique_name, 3)]
    assert values == ["alpha", "beta", "gamma"]  # the second run sent only the new line
    # PYCONNECT_POSITIONS=none: Bytewax's own default, no positions, everything again
    other = tmp_path / "other"
    other.mkdir()
    plain = subprocess.run(cmd, cwd=other, env={**env, "PYCONNECT_POSITIONS": "none"}, capture_output=True,
                           text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert not list(other.iterdir())
    assert len(read_topic(kafka.bootstrap_servers, unique_name, 6)) == 6


def test_main_demo_prints_what_the_console_consumer_would() -> None:
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow.demo"], env=cli_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert '{"schema":{"type":"string","optional":false},"payload":"sai"}' in lines
    demo = (REPO / "pyconnect_flow" / "demo" / "demo.txt").read_text().splitlines()
    assert sorted(json.loads(line)["payload"] for line in lines) == sorted(demo)
    assert f"Processed a total of {len(demo)} messages" in done.stderr
