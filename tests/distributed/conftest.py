"""Fixtures for tests on several hosts: a bridge network, hosts on it, and services the hosts reach.

=====================  =========  ==============================================================
fixture                scope      what it is
=====================  =========  ==============================================================
``bridge_network``     session    the :class:`~tests.distributed.netns.Network` (bridge, gateway address)
``hosts``              test       :class:`~tests.distributed.netns.Hosts` of three hosts on it
``make_hosts``         test       ``make_hosts(count) -> Hosts``: more hosts, deleted after the test
``bridge_kafka``       session    a real Apache Kafka broker listening and advertising on the gateway
``bridge_postgres``    session    PostgreSQL listening on the gateway, logins from the hosts allowed
=====================  =========  ==============================================================

Each test gets fresh hosts (namespaces are cheap: a few ms each); the bridge and the services live for the
session, since hosts can only reach services bound to the bridge's address, which exists first. Hosts are
deleted after each test, with every process still running in them. There is no skipping: without the
permission to make network namespaces (root), the tests fail with ``ip``'s own message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pyconnect_flow.embedded.kafka import KafkaEndpoint
from pyconnect_flow.embedded.postgres import EmbeddedPostgres, PostgresEndpoint
from tests.distributed.netns import Hosts, Network


@pytest.fixture(scope="session")
def bridge_network() -> Iterator[Network]:
    """The bridge the hosts of every test sit on; ``.gateway`` is its address in the root namespace."""
    with Network() as network:
        yield network


@pytest.fixture
def hosts(bridge_network: Network) -> Iterator[Hosts]:
    """Three hosts (``hosts[0..2]``, each with ``.name``, ``.ip``, ``.popen``, ``.run``, ``.cut``, ``.restore``)."""
    with Hosts(3, bridge_network) as three:
        yield three


@pytest.fixture
def make_hosts(bridge_network: Network) -> Iterator[Callable[[int], Hosts]]:
    """``make_hosts(count)``: that many more hosts on the bridge, deleted after the test."""
    made: list[Hosts] = []

    def make(count: int) -> Hosts:
        group = Hosts(count, bridge_network).start()
        made.append(group)
        return group

    yield make
    for group in reversed(made):
        group.close()


@pytest.fixture(scope="session")
def bridge_kafka(bridge_network: Network) -> Iterator[KafkaEndpoint]:
    """A real Apache Kafka broker (KRaft) whose listener and advertised listener are on the gateway address,
    so clients in every host and in the root namespace reach it: ``.bootstrap_servers`` is ``<gateway>:<port>``."""
    from tests.reference.kafka_broker import ApacheKafka

    broker = ApacheKafka()
    broker.host = bridge_network.gateway  # ServiceProcess.host: where it listens and what it advertises
    with broker:
        yield broker.endpoint


@pytest.fixture(scope="session")
def bridge_postgres(bridge_network: Network) -> Iterator[PostgresEndpoint]:
    """PostgreSQL listening on the gateway address; ``.url`` and ``.dsn`` work from every host."""
    with EmbeddedPostgres(host=bridge_network.gateway) as server:
        yield server.endpoint
