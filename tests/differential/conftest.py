"""Fixtures of the differential tests: Kafka Connect itself, on the real broker, once per session.

``kafka_connect`` is one ConnectStandalone worker on the reference JDK (``$PYCONNECT_TEST_JAVA_HOME``, else
``$JAVA_HOME``, else ``java`` on ``PATH``); every suite adds its connectors to it. pyconnect-flow is told
to print numbers as that JDK does (``PYCONNECT_FLOW_JDK``). ``other_jdk_connect`` is a second worker on a
JDK of the other ``Double.toString`` family (before 19 / 19 and later), for the number cases.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyconnect_flow.embedded.kafka import KafkaEndpoint
from tests.differential import jdks
from tests.differential.harness import replay_hint
from tests.reference.connect_standalone import KafkaConnect


def pytest_report_header() -> str:
    return f"differential tests: {replay_hint()}"


@pytest.fixture(scope="session")
def kafka_connect(apache_kafka: KafkaEndpoint) -> Iterator[KafkaConnect]:
    """Kafka Connect (ConnectStandalone, REST API on a free port) on the reference JDK."""
    with KafkaConnect(apache_kafka.bootstrap_servers) as connect:
        yield connect


@pytest.fixture(scope="session")
def other_jdk_connect(apache_kafka: KafkaEndpoint, kafka_connect: KafkaConnect) -> Iterator[KafkaConnect]:
    """Kafka Connect on a JDK whose Double.toString differs from the reference JDK's."""
    home = jdks.other_family(kafka_connect.java_version)
    with KafkaConnect(apache_kafka.bootstrap_servers, java_home=home) as connect:
        yield connect
