"""`pyconnect-flow kafka` runs the embedded broker for a new user until Ctrl-C; `--version`, `--log-level`."""

from __future__ import annotations

import signal
import subprocess
import sys

from confluent_kafka.admin import AdminClient

from pyconnect_flow.embedded import tcp_port_open
from pyconnect_flow.net import free_ports
from tests.integration.kafka_helpers import cli_env, produce, read_topic


def test_the_kafka_command_serves_a_broker_on_the_given_port_until_ctrl_c() -> None:
    port = free_ports(1)[0]
    proc = subprocess.Popen([sys.executable, "-m", "pyconnect_flow", "kafka", "--port", str(port)],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        assert lines[0].split() == ["Kafka", "(bootstrap.servers)", f"127.0.0.1:{port}"], lines
        assert lines[1].strip() == "Running until Ctrl-C."
        bootstrap = f"localhost:{port}"
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
        produce(bootstrap, "hello", [{"value": b"world"}])
        assert [m.value for m in read_topic(bootstrap, "hello", 1)] == [b"world"]
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert not tcp_port_open("127.0.0.1", port)


def test_version_and_log_level_after_the_subcommand() -> None:
    version = subprocess.run([sys.executable, "-m", "pyconnect_flow", "--version"], env=cli_env(),
                             capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("pyconnect-flow ")
    listed = subprocess.run([sys.executable, "-m", "pyconnect_flow", "connectors", "--log-level", "DEBUG"],
                            env=cli_env(), capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0 and "FileStreamSource" in listed.stdout, listed.stderr
