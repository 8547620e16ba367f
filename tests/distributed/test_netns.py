"""The several-hosts harness itself: hosts reach each other and the bridge services, cut() isolates one,
kill -9 reaches the program, and nothing is left behind."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

from confluent_kafka import Consumer

from pyconnect_flow.embedded.kafka import KafkaEndpoint
from pyconnect_flow.embedded.postgres import PostgresEndpoint
from tests.distributed import netns
from tests.distributed.netns import Host, Hosts, Network

_FETCH = textwrap.dedent("""
    import sys, urllib.request
    try:
        print(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).read().decode(), end="")
    except OSError as exc:
        print(type(exc).__name__, exc, file=sys.stderr)
        sys.exit(3)
""")

_CONNECT = textwrap.dedent("""
    import socket, sys
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    except OSError as exc:
        print(type(exc).__name__, exc, file=sys.stderr)
        sys.exit(3)
""")

CUT_TIMEOUT = 2.0
"""Seconds a client waits for a cut-off host before it gives up."""


def fetch_from(host: Host, url: str) -> subprocess.CompletedProcess[str]:
    """GET ``url`` from inside ``host`` with a short timeout; exit code 3 when it cannot."""
    return host.run([sys.executable, "-c", _FETCH, url, str(CUT_TIMEOUT)], timeout=30)


def fetch_from_root(url: str) -> str:
    with urllib.request.urlopen(url, timeout=CUT_TIMEOUT) as response:
        body: bytes = response.read()
    return body.decode()


def wait_until(check: object, what: str, timeout: float = 15.0) -> None:
    """Poll ``check()`` (a callable returning truthy) until it holds, else fail naming ``what``."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s (last error: {last!r})")


def test_hosts_have_their_own_address_on_one_subnet(hosts: Hosts) -> None:
    assert len({host.ip for host in hosts}) == 3
    for index, host in enumerate(hosts):
        assert host.name == f"{netns.PREFIX}-{hosts.network.run}-{index}"
        shown = host.run(["ip", "-4", "-o", "addr", "show", "dev", "eth0"], check=True).stdout
        assert f"inet {host.ip}/24 " in shown
        routes = host.run(["ip", "route", "show", "default"], check=True).stdout
        assert f"default via {hosts.gateway} dev eth0" in routes
        assert host.ip.rsplit(".", 1)[0] == hosts.gateway.rsplit(".", 1)[0]


_RESOLVE = textwrap.dedent("""
    import json, socket, sys, time
    began = time.monotonic()
    try:
        socket.getaddrinfo("no-such-host.invalid", 80)
        unknown = "resolved"
    except socket.gaierror:
        unknown = "failed"
    print(json.dumps({"names": [socket.gethostbyname(name) for name in sys.argv[1:]], "unknown": unknown,
                      "seconds": time.monotonic() - began}))
""")


def test_hosts_know_each_other_by_name_without_dns(hosts: Hosts) -> None:
    names = [hosts.network.gateway_name, *(host.name for host in hosts)]
    done = hosts[1].run([sys.executable, "-c", _RESOLVE, *names], check=True)
    answer = json.loads(done.stdout)
    assert answer["names"] == [hosts.gateway, *(host.ip for host in hosts)]
    assert answer["unknown"] == "failed"
    assert answer["seconds"] < 2  # no DNS timeout


def test_a_server_on_one_host_is_reached_from_the_others_until_the_host_is_cut(hosts: Hosts, tmp_path: Path) -> None:
    token = secrets.token_hex(8)
    (tmp_path / "token.txt").write_text(token)
    first, second, third = hosts
    server = first.popen([sys.executable, "-m", "http.server", "--bind", first.ip, "--directory", str(tmp_path),
                          "8000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{first.ip}:8000/token.txt"
    wait_until(lambda: fetch_from_root(url) == token, "the server in host 1 answers the root namespace")
    for other in (second, third):
        done = fetch_from(other, url)
        assert (done.returncode, done.stdout) == (0, token), done.stderr

    # A listener of the root namespace on the gateway: a cut host cannot reach out either.
    with socket.create_server((hosts.gateway, 0)) as listener:
        port = str(listener.getsockname()[1])
        assert first.run([sys.executable, "-c", _CONNECT, hosts.gateway, port, str(CUT_TIMEOUT)]).returncode == 0
        first.cut()
        assert first.is_cut
        for other in (second, third):
            began = time.monotonic()
            done = fetch_from(other, url)
            assert done.returncode == 3, (done.stdout, done.stderr)
            assert time.monotonic() - began < CUT_TIMEOUT + 5  # gives up within its timeout (plus start-up)
        began = time.monotonic()
        try:
            fetch_from_root(url)
            raise AssertionError(f"{url} answered the root namespace while host 1 was cut off")
        except OSError:
            assert time.monotonic() - began < CUT_TIMEOUT + 1
        outward = first.run([sys.executable, "-c", _CONNECT, hosts.gateway, port, str(CUT_TIMEOUT)])
        assert outward.returncode == 3, outward.stderr
        assert server.poll() is None  # cut off, not dead

        first.restore()
        assert not first.is_cut
        wait_until(lambda: fetch_from_root(url) == token, "host 1 answers again after restore()", timeout=10)
        for other in (second, third):
            done = fetch_from(other, url)
            assert (done.returncode, done.stdout) == (0, token), done.stderr
        assert first.run([sys.executable, "-c", _CONNECT, hosts.gateway, port, str(CUT_TIMEOUT)]).returncode == 0


_PRODUCE = textwrap.dedent("""
    import sys
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": sys.argv[1]})
    for i in range(int(sys.argv[3])):
        producer.produce(sys.argv[2], key=str(i).encode(), value=f"v{i}".encode())
    assert producer.flush(30) == 0, "records left unsent"
""")

_CONSUME = textwrap.dedent("""
    import json, sys, time
    from confluent_kafka import Consumer
    consumer = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[4], "auto.offset.reset": "earliest"})
    consumer.subscribe([sys.argv[2]])
    values, deadline = [], time.monotonic() + 60
    while len(values) < int(sys.argv[3]) and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            values.append(message.value().decode())
    consumer.close()
    print(json.dumps(values))
""")


def test_kafka_clients_in_hosts_use_the_broker_on_the_bridge(hosts: Hosts, bridge_kafka: KafkaEndpoint,
                                                            unique_name: str) -> None:
    assert bridge_kafka.bootstrap_servers.startswith(hosts.gateway + ":")
    bridge_kafka.create_topic(unique_name, partitions=2)
    count = 200
    produced = hosts[0].run([sys.executable, "-c", _PRODUCE, bridge_kafka.bootstrap_servers, unique_name,
                             str(count)], timeout=60)
    assert produced.returncode == 0, produced.stderr
    consumed = hosts[1].run([sys.executable, "-c", _CONSUME, bridge_kafka.bootstrap_servers, unique_name,
                             str(count), unique_name + "-host"], timeout=90)
    assert consumed.returncode == 0, consumed.stderr
    expected = sorted(f"v{i}" for i in range(count))
    assert sorted(json.loads(consumed.stdout)) == expected

    # The root namespace reads the same records from the same broker.
    consumer = Consumer(bridge_kafka.consumer_config(unique_name + "-root"))
    try:
        consumer.subscribe([unique_name])
        values: list[str] = []
        deadline = time.monotonic() + 60
        while len(values) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                values.append(bytes(message.value() or b"").decode())
    finally:
        consumer.close()
    assert sorted(values) == expected


_POSTGRES = textwrap.dedent("""
    import sys, psycopg
    with psycopg.connect(sys.argv[1], connect_timeout=10) as conn:
        conn.execute(f"CREATE TABLE {sys.argv[2]} (host text PRIMARY KEY)")
        conn.execute(f"INSERT INTO {sys.argv[2]} VALUES (host(inet_client_addr()))")
        print(conn.execute("SELECT host(inet_client_addr())").fetchone()[0], end="")
""")


def test_postgres_on_the_bridge_answers_hosts(hosts: Hosts, bridge_postgres: PostgresEndpoint,
                                              unique_name: str) -> None:
    assert bridge_postgres.host == hosts.gateway
    done = hosts[2].run([sys.executable, "-c", _POSTGRES, bridge_postgres.dsn, unique_name], timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == hosts[2].ip  # the server saw the host's own address
    with bridge_postgres.connect() as conn:
        assert conn.execute(f"SELECT host FROM {unique_name}").fetchall() == [(hosts[2].ip,)]


def test_kill_9_of_a_popen_kills_the_program_itself(hosts: Hosts) -> None:
    host = hosts[0]
    program = host.popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(600)"],
                         stdout=subprocess.PIPE, text=True)
    assert program.stdout is not None
    assert program.stdout.readline() == "up\n"
    assert os.readlink(f"/proc/{program.pid}/exe") == os.path.realpath(sys.executable)  # not `ip`
    assert os.stat(f"/proc/{program.pid}/ns/net").st_ino != os.stat("/proc/self/ns/net").st_ino
    assert program.pid in host.pids()

    os.kill(program.pid, signal.SIGKILL)
    assert program.wait(5) == -signal.SIGKILL
    assert program.pid not in host.pids()


def test_kill_all_is_a_power_cut_of_one_host(hosts: Hosts) -> None:
    sleepers = [hosts[1].popen([sys.executable, "-c", "import time; time.sleep(600)"]) for _ in range(2)]
    bystander = hosts[2].popen([sys.executable, "-c", "import time; time.sleep(600)"])
    wait_until(lambda: len(hosts[1].pids()) == 2, "both programs run in host 2")
    hosts[1].kill_all()
    assert [sleeper.poll() for sleeper in sleepers] == [-signal.SIGKILL] * 2
    assert hosts[1].pids() == []
    assert bystander.poll() is None


def _names() -> tuple[str, str]:
    return netns.ip("netns", "list"), netns.ip("-o", "link", "show")


def test_close_leaves_no_namespace_link_or_process_behind() -> None:
    with Hosts(2) as own:
        network = own.network
        made = [host.name for host in own] + [host.link for host in own] + [network.bridge]
        namespaces, links = _names()
        assert all(name in namespaces + links for name in made)
        sleeper = own[0].popen([sys.executable, "-c", "import time; time.sleep(600)"])
        owner_file = netns.STATE_DIR / f"{network.run}.json"
        assert owner_file.exists()
    namespaces, links = _names()
    assert [name for name in made if name in namespaces or f" {name}:" in links or f" {name}@" in links] == []
    assert sleeper.poll() == -signal.SIGKILL
    assert not owner_file.exists()
    assert not any((netns.ETC_NETNS / name).exists() for name in made)
    assert network.gateway not in netns.ip("-4", "-o", "addr", "show")


def test_leftovers_of_a_dead_run_are_swept(bridge_network: Network) -> None:
    network = Network().start()
    try:
        host = network.add_host()
        sleeper = host.popen([sys.executable, "-c", "import time; time.sleep(600)"])
        # The run's owner "dies": its owner file now names a process that has ended.
        ended = subprocess.Popen(["true"])
        ended.wait()
        (netns.STATE_DIR / f"{network.run}.json").write_text(json.dumps({"pid": ended.pid, "start": "0"}))

        deleted = netns.sweep_leftovers()

        assert sorted(deleted) == sorted([host.name, host.link, network.bridge])
        namespaces, links = _names()
        assert host.name not in namespaces
        assert not (netns.ETC_NETNS / host.name).exists()
        assert f" {host.link}@" not in links and f" {network.bridge}:" not in links
        assert sleeper.wait(5) == -signal.SIGKILL
        # A live run's network is left alone.
        assert f" {bridge_network.bridge}:" in links
    finally:
        network.close()
