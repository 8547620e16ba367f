"""Several hosts on one machine: Linux network namespaces on a bridge, for tests of distributed workers.

A :class:`Network` is a bridge in the root namespace with the first address of a free ``10.<200-250>.0.0/24``
(the *gateway*); each :class:`Host` is a network namespace ``pcf-<run>-<i>`` whose ``eth0`` (one end of a veth
pair; the other end is a port of the bridge) has ``10.<n>.0.<10+i>``, its loopback up and a default route
via the gateway. Hosts reach each other and the gateway over the bridge, which is plain layer-2 switching,
so IP forwarding stays as it is. Names resolve without DNS, which the hosts cannot reach: each host's
``/etc/hosts`` (``/etc/netns/<name>/hosts``, which ``ip netns exec`` mounts there) names every host of its
network and the gateway (``pcf-<run>-gw``), and its ``resolv.conf`` names no server, so a lookup of anything
else fails at once instead of waiting for a DNS timeout (``http.server`` would wait 10 s in ``getfqdn``). Services in the root namespace that listen on the gateway address (a Kafka
broker, PostgreSQL: see ``tests/distributed/conftest.py``) are what every host reaches::

    with Hosts(3) as hosts:
        server = hosts[0].popen([sys.executable, "-m", "http.server", "--bind", hosts[0].ip, "8000"])
        hosts[1].run(["curl", f"http://{hosts[0].ip}:8000/"])
        hosts[0].cut()      # no packet in or out of host 0 until restore()
        hosts[0].restore()
        server.kill()       # SIGKILL reaches python itself: `ip netns exec` execs the program

Everything is made with ``ip`` (iproute2) and needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); when ``ip netns``
is not permitted, :class:`NetnsError` says so and the tests using it fail. ``close()`` kills every process
left in the hosts and deletes the namespaces, veth pairs and bridge, also when the test failed. A run killed
before it could clean up leaves them behind with an owner file naming its pid; the next
:class:`Network` deletes those of runs whose owner is gone (:func:`sweep_leftovers`).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import ipaddress
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from pyconnect_flow.embedded import _die_with_parent

__all__ = ["PREFIX", "Host", "Hosts", "Network", "NetnsError", "sweep_leftovers"]

#: What every namespace and link of ours is named after: ``pcf-<run>-<i>``, ``pcf-<run>-br``, ``pcf-<run>-v<i>``.
PREFIX = "pcf"

#: Where ``ip netns exec`` finds a host's own ``/etc`` files.
ETC_NETNS = Path("/etc/netns")

#: Where each run keeps its owner file (``<run>.json``: pid and start time) and the lock on subnet choice.
STATE_DIR = Path(tempfile.gettempdir()) / "pcf-netns"

_SECOND_OCTETS = range(200, 251)
_FIRST_HOST = 10
_MAX_HOSTS = 244  # 10.n.0.10 .. 10.n.0.253; the link name pcf-<run>-v<i> stays within 15 characters
_NAME = re.compile(rf"^{PREFIX}-([0-9a-f]{{6}})-(\d+|br|v\d+)$")


class NetnsError(RuntimeError):
    """An ``ip`` command failed (most often: no permission for network namespaces); the message says which."""


def ip(*args: str, check: bool = True) -> str:
    """Run ``ip <args>``; its stdout, or :class:`NetnsError` with its stderr when it fails and ``check``."""
    if shutil.which("ip") is None:
        raise NetnsError("the `ip` command (iproute2) is not installed; network namespaces need it")
    done = subprocess.run(["ip", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    if check and done.returncode != 0:
        hint = " (network namespaces need root: CAP_NET_ADMIN and CAP_SYS_ADMIN)" if os.geteuid() != 0 else ""
        raise NetnsError(f"`ip {' '.join(args)}` exited with {done.returncode}: {done.stderr.strip()}{hint}")
    return done.stdout


def _start_time(pid: int) -> str | None:
    """The start time of ``pid`` (``/proc/<pid>/stat`` field 22), or None when it does not run: with the pid
    it tells a run's owner from a later process that got the same pid."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]


def _owner_alive(run: str) -> bool:
    try:
        owner = json.loads((STATE_DIR / f"{run}.json").read_text())
        return _start_time(int(owner["pid"])) == owner["start"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


@contextlib.contextmanager
def _state_lock() -> Iterator[None]:
    """Held while a run sweeps or picks its subnet, so two runs at once never pick the same one."""
    STATE_DIR.mkdir(mode=0o700, exist_ok=True)
    with open(STATE_DIR / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _namespaces() -> list[str]:
    return [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]


def _links() -> list[str]:
    # "7: pcf-0a1b2c-v0@if2: <...>": the name ends at '@' (a veth's peer) or ':'
    return [line.split(":")[1].strip().split("@")[0] for line in ip("-o", "link", "show").splitlines()]


def _kill_namespace_processes(namespace: str) -> None:
    """SIGKILL every process in ``namespace`` and wait (up to 10 s) until none is left."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = [int(pid) for pid in ip("netns", "pids", namespace, check=False).split()]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def _delete_run(run: str, namespaces: Sequence[str], links: Sequence[str]) -> list[str]:
    """Delete what ``run`` left: its processes, namespaces, links and owner file; the names deleted."""
    deleted = []
    for namespace in namespaces:
        _kill_namespace_processes(namespace)
        ip("netns", "del", namespace, check=False)
        shutil.rmtree(ETC_NETNS / namespace, ignore_errors=True)
        deleted.append(namespace)
    for link in links:  # deleting a veth end deletes its pair; the bridge last
        ip("link", "del", link, check=False)
        deleted.append(link)
    (STATE_DIR / f"{run}.json").unlink(missing_ok=True)
    return deleted


def sweep_leftovers() -> list[str]:
    """Delete the namespaces, links and processes of earlier runs whose owner process is gone.

    Only names of our exact pattern (``pcf-<6 hex>-<i>``, ``-br``, ``-v<i>``) are touched, and only those
    of runs whose owner file is missing or names a process that no longer runs. Returns what was deleted.
    """
    with _state_lock():
        found: dict[str, tuple[list[str], list[str]]] = {}
        etc_dirs = [path.name for path in ETC_NETNS.glob(f"{PREFIX}-*")] if ETC_NETNS.is_dir() else []
        for namespace in sorted(set(_namespaces()) | set(etc_dirs)):
            match = _NAME.match(namespace)
            if match and match.group(2).isdigit():
                found.setdefault(match.group(1), ([], []))[0].append(namespace)
        for link in _links():
            match = _NAME.match(link)
            if match and not match.group(2).isdigit():
                found.setdefault(match.group(1), ([], []))[1].append(link)
        deleted: list[str] = []
        for run, (namespaces, links) in found.items():
            if not _owner_alive(run):
                deleted += _delete_run(run, namespaces, sorted(links, key=lambda name: name.endswith("-br")))
        for owner_file in STATE_DIR.glob("*.json"):
            if owner_file.stem not in found and not _owner_alive(owner_file.stem):
                owner_file.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            ETC_NETNS.rmdir()  # only when no run has hosts
        return deleted


def _used_networks() -> list[ipaddress.IPv4Network]:
    used = []
    for line in ip("-4", "-o", "addr", "show").splitlines():
        fields = line.split()
        if "inet" in fields:
            used.append(ipaddress.IPv4Interface(fields[fields.index("inet") + 1]).network)
    for line in ip("-4", "route", "show", "table", "all").splitlines():
        destination = line.split()[0] if line.split() else ""
        if destination[:1].isdigit():
            with contextlib.suppress(ValueError):
                used.append(ipaddress.IPv4Network(destination, strict=False))
    return used


class Host:
    """One machine of a :class:`Network`: a network namespace with its own ``eth0`` on the bridge.

    Attributes:
        name: The namespace name, ``pcf-<run>-<i>``.
        ip: The address of its ``eth0``, ``10.<n>.0.<10+i>``.
        link: The root-namespace end of its veth pair (a port of the bridge), ``pcf-<run>-v<i>``.
    """

    def __init__(self, name: str, ip: str, link: str) -> None:
        self.name = name
        self.ip = ip
        self.link = link
        self._processes: list[subprocess.Popen[Any]] = []
        self._cut = False

    def __repr__(self) -> str:
        return f"Host({self.name!r}, {self.ip!r}{', cut' if self._cut else ''})"

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` as a command that runs inside this host: ``ip netns exec <name> <argv>``."""
        return ["ip", "netns", "exec", self.name, *argv]

    def popen(self, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """Start ``argv`` inside this host; ``kwargs`` go to :class:`subprocess.Popen`.

        The Popen's pid is the program's own (``ip netns exec`` sets the namespace up and execs it), so
        ``proc.kill()`` or ``os.kill(proc.pid, SIGKILL)`` is a kill -9 of the program. Unless ``kwargs``
        say otherwise, the program gets SIGKILL when the thread that started it ends (``PR_SET_PDEATHSIG``;
        start programs from the test's main thread) and has its own session, so a Ctrl-C in the terminal
        is pytest's alone. Whatever still runs in the host is killed by ``close()``.
        """
        kwargs.setdefault("preexec_fn", _die_with_parent(signal.SIGKILL))
        kwargs.setdefault("start_new_session", True)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        process: subprocess.Popen[Any] = subprocess.Popen(self.command(argv), **kwargs)
        self._processes.append(process)
        return process

    def run(self, argv: Sequence[str], *, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside this host to its end; its output as text (``kwargs`` go to ``subprocess.run``)."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        done: subprocess.CompletedProcess[str] = subprocess.run(self.command(argv), timeout=timeout, **kwargs)
        return done

    def pids(self) -> list[int]:
        """Every process running in this host (``ip netns pids``), children of our programs included."""
        return [int(pid) for pid in ip("netns", "pids", self.name).split()]

    def kill_all(self) -> None:
        """SIGKILL every process in this host, as if the machine lost power, and reap those we started."""
        _kill_namespace_processes(self.name)
        for process in self._processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)

    @property
    def is_cut(self) -> bool:
        """Whether :meth:`cut` took this host off the network."""
        return self._cut

    def cut(self) -> None:
        """Take this host off the network: its bridge port goes down, so no packet passes either way.

        Connections are not reset: peers see silence (timeouts), as when a cable is pulled or a machine
        freezes. Its processes keep running, and talk to each other over its loopback.
        """
        ip("link", "set", self.link, "down")
        self._cut = True

    def restore(self) -> None:
        """Put this host back on the network (its bridge port forwards again at once: the bridge runs no STP)."""
        ip("link", "set", self.link, "up")
        self._cut = False

    def close(self) -> None:
        """Kill what runs in this host and delete its namespace and veth pair."""
        for process in self._processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
        _kill_namespace_processes(self.name)
        for process in self._processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
        ip("link", "del", self.link, check=False)
        ip("netns", "del", self.name, check=False)
        shutil.rmtree(ETC_NETNS / self.name, ignore_errors=True)


class Network:
    """A bridge in the root namespace on a free ``10.<200-250>.0.0/24``; :meth:`add_host` puts hosts on it.

    Attributes (once started):
        run: The random 6 hex digits naming this run's namespaces and links.
        bridge: The bridge's name, ``pcf-<run>-br``.
        gateway: The bridge's address, ``10.<n>.0.1``: where root-namespace services listen for the hosts.
        subnet: The ``/24`` of the bridge and its hosts.
    """

    def __init__(self) -> None:
        self.run = secrets.token_hex(3)
        self.bridge = f"{PREFIX}-{self.run}-br"
        self.gateway = ""
        self.subnet = ipaddress.IPv4Network("0.0.0.0/32")
        self._hosts: dict[int, Host] = {}
        self._started = False

    def __repr__(self) -> str:
        return f"<Network {self.bridge} {self.subnet} hosts={list(self._hosts.values())}>"

    def start(self) -> Network:
        """Sweep leftovers of dead runs, then make the bridge and give it the first address of a free subnet."""
        if self._started:
            return self
        sweep_leftovers()
        atexit.register(self.close)
        with _state_lock():
            (STATE_DIR / f"{self.run}.json").write_text(
                json.dumps({"pid": os.getpid(), "start": _start_time(os.getpid())}))
            self._started = True
            try:
                ip("link", "add", "name", self.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0")
                self.subnet = self._free_subnet()
                self.gateway = str(self.subnet.network_address + 1)
                ip("addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.bridge)
                ip("link", "set", self.bridge, "up")
            except BaseException:
                self._close_locked()
                raise
        return self

    def _free_subnet(self) -> ipaddress.IPv4Network:
        used = _used_networks()
        octets = list(_SECOND_OCTETS)
        random.shuffle(octets)
        for octet in octets:
            subnet = ipaddress.IPv4Network(f"10.{octet}.0.0/24")
            if not any(subnet.overlaps(other) for other in used if other.prefixlen > 0):
                return subnet
        raise NetnsError(f"no free /24 among 10.{_SECOND_OCTETS.start}-{_SECOND_OCTETS.stop - 1}.0.0: "
                         "all are in use by addresses or routes of this machine")

    def add_host(self) -> Host:
        """A new host (namespace) on the bridge, with the lowest free index."""
        if not self._started:
            raise RuntimeError("Network is not started")
        index = next(i for i in range(_MAX_HOSTS + 1) if i not in self._hosts)
        if index == _MAX_HOSTS:
            raise NetnsError(f"a network holds at most {_MAX_HOSTS} hosts")
        host = Host(f"{PREFIX}-{self.run}-{index}", str(self.subnet.network_address + _FIRST_HOST + index),
                    f"{PREFIX}-{self.run}-v{index}")
        self._hosts[index] = host
        try:
            (ETC_NETNS / host.name).mkdir(parents=True, exist_ok=True)
            (ETC_NETNS / host.name / "resolv.conf").write_text(
                "# No DNS on a test network: names are in /etc/hosts; anything else fails at once.\n"
                "options timeout:1 attempts:1\n")
            self._write_hosts_files()
            ip("netns", "add", host.name)
            ip("link", "add", host.link, "type", "veth", "peer", "name", "eth0", "netns", host.name)
            ip("link", "set", host.link, "master", self.bridge)
            ip("link", "set", host.link, "up")
            ip("-n", host.name, "link", "set", "lo", "up")
            ip("-n", host.name, "addr", "add", f"{host.ip}/{self.subnet.prefixlen}", "dev", "eth0")
            ip("-n", host.name, "link", "set", "eth0", "up")
            ip("-n", host.name, "route", "add", "default", "via", self.gateway)
        except BaseException:
            self.remove_host(host)
            raise
        return host

    @property
    def gateway_name(self) -> str:
        """The gateway's name in the hosts' ``/etc/hosts``, ``pcf-<run>-gw``."""
        return f"{PREFIX}-{self.run}-gw"

    def _write_hosts_files(self) -> None:
        """Every host's ``/etc/hosts``: loopback, the gateway and every host of the network, by name.

        Written in place (same inode), so programs already running in a host see hosts added later.
        """
        lines = ["127.0.0.1\tlocalhost", f"{self.gateway}\t{self.gateway_name}",
                 *(f"{host.ip}\t{host.name}" for host in self.hosts)]
        for host in self.hosts:
            with contextlib.suppress(FileNotFoundError):
                with open(ETC_NETNS / host.name / "hosts", "w") as hosts_file:
                    hosts_file.write("\n".join(lines) + "\n")

    def remove_host(self, host: Host) -> None:
        """Kill what runs in ``host`` and delete it."""
        for index, known in list(self._hosts.items()):
            if known is host:
                del self._hosts[index]
        host.close()

    @property
    def hosts(self) -> list[Host]:
        """The hosts on the bridge now, by index."""
        return [self._hosts[index] for index in sorted(self._hosts)]

    def close(self) -> None:
        """Delete every host, then the bridge and the owner file; safe to call twice."""
        atexit.unregister(self.close)
        if not self._started:
            return
        with _state_lock():
            self._close_locked()

    def _close_locked(self) -> None:
        errors = []
        for host in self.hosts:
            try:
                self.remove_host(host)
            except Exception as exc:  # noqa: BLE001 - delete the rest, then report
                errors.append(exc)
        ip("link", "del", self.bridge, check=False)
        (STATE_DIR / f"{self.run}.json").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            ETC_NETNS.rmdir()  # only when no other run has hosts
        self._started = False
        if errors:
            raise NetnsError(f"cleaning up {self.bridge}: {errors}")

    def __enter__(self) -> Network:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class Hosts:
    """``count`` hosts on a :class:`Network` (its own, made and deleted with them, when none is given).

    ``hosts[i]``, ``len(hosts)``, iteration and :attr:`hosts` give the :class:`Host` objects;
    ``close()`` (or leaving the ``with`` block) deletes them and, when it made it, the network.
    """

    def __init__(self, count: int = 3, network: Network | None = None) -> None:
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        self.count = count
        self._own_network = network is None
        self.network = network if network is not None else Network()
        self.hosts: list[Host] = []

    @property
    def gateway(self) -> str:
        """The bridge address, where services of the root namespace answer the hosts."""
        return self.network.gateway

    def start(self) -> Hosts:
        """Make the network (if ours) and the hosts."""
        try:
            if self._own_network:
                self.network.start()
            while len(self.hosts) < self.count:
                self.hosts.append(self.network.add_host())
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Delete the hosts (and the network if ours), killing whatever runs in them."""
        hosts, self.hosts = self.hosts, []
        try:
            for host in hosts:
                self.network.remove_host(host)
        finally:
            if self._own_network:
                self.network.close()

    def __enter__(self) -> Hosts:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __getitem__(self, index: int) -> Host:
        return self.hosts[index]

    def __iter__(self) -> Iterator[Host]:
        return iter(self.hosts)

    def __len__(self) -> int:
        return len(self.hosts)
