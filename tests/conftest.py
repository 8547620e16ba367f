"""Session-wide fixtures: real services on free loopback ports, or your own through the environment.

Each service starts once per test session, on first use, from the wheels in the ``test`` extra
(see :mod:`pyconnect_flow.embedded`), except Apache Kafka itself, which needs a JDK 17+ and Maven
(see :mod:`tests.reference`). A service that cannot start fails the tests that need it, with the tail
of its log or what is missing; nothing is skipped.

Kafka-facing tests take the ``kafka`` fixture and run against a real Apache Kafka broker (KRaft). Tests
marked ``@pytest.mark.all_brokers`` run on Tansu and noida-db as well: a smoke subset that keeps the
embedded brokers of the demo and notebooks working. To run the same tests against your own services:

=================================  ===========================================================
``PYCONNECT_TEST_KAFKA_BOOTSTRAP``  ``host:port`` of a Kafka cluster, used instead of every
                                    embedded broker (``kafka`` then has one param, "external")
``PYCONNECT_TEST_KAFKA_BROKERS``    brokers for every test taking ``kafka``, of ``apache``,
                                    ``tansu``, ``noida`` (e.g. ``tansu,noida`` to compare)
``PYCONNECT_TEST_POSTGRES_URL``     ``postgresql://user:password@host:port/database``
``PYCONNECT_TEST_ELASTICSEARCH_URL`` ``http://host:9200``
``PYCONNECT_TEST_S3_ENDPOINT``      ``http://host:9000``, with ``AWS_ACCESS_KEY_ID``,
                                    ``AWS_SECRET_ACCESS_KEY`` and ``AWS_REGION`` as usual
=================================  ===========================================================
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest

from pyconnect_flow.embedded import ServiceProcess
from pyconnect_flow.embedded.kafka import EmbeddedKafka, KafkaEndpoint
from pyconnect_flow.embedded.noida import ElasticsearchEndpoint, NoidaDb
from pyconnect_flow.embedded.postgres import EmbeddedPostgres, PostgresEndpoint
from pyconnect_flow.embedded.s3 import MotoS3, S3Endpoint

# Bytewax prints Rust backtraces several screens long on every error otherwise. Rust reads this
# at the first panic, so setting it here, before any test runs, is early enough.
os.environ["RUST_BACKTRACE"] = "0"

KAFKA_ENV = "PYCONNECT_TEST_KAFKA_BOOTSTRAP"
POSTGRES_ENV = "PYCONNECT_TEST_POSTGRES_URL"
ELASTICSEARCH_ENV = "PYCONNECT_TEST_ELASTICSEARCH_URL"
S3_ENV = "PYCONNECT_TEST_S3_ENDPOINT"

BROKERS_ENV = "PYCONNECT_TEST_KAFKA_BROKERS"

#: Where ``kafka`` tests run: real Kafka, plus Tansu and noida-db for tests marked ``all_brokers``;
#: ``PYCONNECT_TEST_KAFKA_BROKERS=tansu,noida`` (say) runs every ``kafka`` test on the brokers named.
KAFKA_PARAMS = ["external"] if os.environ.get(KAFKA_ENV) else ["apache"]
ALL_KAFKA_PARAMS = ["external"] if os.environ.get(KAFKA_ENV) else ["apache", "tansu", "noida"]
if os.environ.get(BROKERS_ENV) and not os.environ.get(KAFKA_ENV):
    KAFKA_PARAMS = ALL_KAFKA_PARAMS = [b.strip() for b in os.environ[BROKERS_ENV].split(",") if b.strip()]

# How long each embedded service took to start, reported at the end of the run.
_startup_seconds: dict[str, float] = {}


def _started(service: ServiceProcess) -> None:
    if service.startup_seconds is not None:
        _startup_seconds[service.name] = service.startup_seconds


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report the start-up time of each embedded service, to keep an eye on the suite's speed."""
    if _startup_seconds:
        times = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in _startup_seconds.items())
        terminalreporter.write_line(f"embedded services started in: {times}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "all_brokers: run a `kafka` test on Apache Kafka, Tansu and noida-db")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give ``kafka`` its brokers: Apache Kafka only, or all three for tests marked ``all_brokers``."""
    if "kafka" in metafunc.fixturenames:
        brokers = ALL_KAFKA_PARAMS if metafunc.definition.get_closest_marker("all_brokers") else KAFKA_PARAMS
        metafunc.parametrize("kafka", brokers, indirect=True, scope="session")


@pytest.fixture(scope="session")
def apache_kafka() -> Iterator[KafkaEndpoint]:
    """A real Apache Kafka broker (KRaft, started from the jars of ``tests/reference/pom.xml``), or the
    external cluster when ``PYCONNECT_TEST_KAFKA_BOOTSTRAP`` is set."""
    bootstrap = os.environ.get(KAFKA_ENV)
    if bootstrap:
        yield KafkaEndpoint(bootstrap, name="external")
        return
    from tests.reference.kafka_broker import ApacheKafka

    with ApacheKafka() as broker:
        _started(broker)
        yield broker.endpoint


@pytest.fixture(scope="session")
def apicurio_registry() -> Iterator[str]:
    """The URL of a real Apicurio Registry's Confluent-compatible API (in-memory storage; built once from Maven
    Central's artifacts, see ``tests/reference/apicurio.py``), for comparing our registry's answers with it."""
    from tests.reference.apicurio import ApicurioRegistry

    with ApicurioRegistry() as registry:
        _started(registry)
        yield registry.url


@pytest.fixture(scope="session")
def noida_db() -> Iterator[NoidaDb]:
    """One noida-db process for the session, serving Kafka and Elasticsearch unless they are external."""
    external = {"kafka": os.environ.get(KAFKA_ENV), "elasticsearch": os.environ.get(ELASTICSEARCH_ENV)}
    with NoidaDb([service for service, url in external.items() if not url]) as noida:
        _started(noida)
        yield noida


@pytest.fixture(scope="session")
def tansu_kafka() -> Iterator[KafkaEndpoint]:
    """One Kafka broker: Tansu, or the external cluster when ``PYCONNECT_TEST_KAFKA_BOOTSTRAP`` is set."""
    bootstrap = os.environ.get(KAFKA_ENV)
    if bootstrap:
        yield KafkaEndpoint(bootstrap, name="external")
        return
    with EmbeddedKafka() as tansu:
        _started(tansu)
        yield tansu.endpoint


@pytest.fixture(scope="session")
def kafka(request: pytest.FixtureRequest) -> KafkaEndpoint:
    """A Kafka broker: Apache Kafka, and for ``all_brokers`` tests also Tansu and noida-db (or "external").

    ``kafka.name`` says which; ``kafka.bootstrap_servers``, ``kafka.create_topic(name, partitions)``
    and ``kafka.consumer_config(group_id)`` are what most tests need.
    """
    if request.param == "noida":
        noida: NoidaDb = request.getfixturevalue("noida_db")
        return noida.kafka
    endpoint: KafkaEndpoint = request.getfixturevalue("tansu_kafka" if request.param == "tansu" else "apache_kafka")
    return endpoint


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresEndpoint]:
    """A PostgreSQL database: ``.url``, ``.sqlalchemy_url``, ``.dsn``, ``.connect()``."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        yield PostgresEndpoint.from_url(url)
        return
    with EmbeddedPostgres() as server:
        _started(server)
        yield server.endpoint


@pytest.fixture(scope="session")
def elasticsearch(request: pytest.FixtureRequest) -> ElasticsearchEndpoint:
    """An Elasticsearch 8 REST API: ``.url``, ``.client()``; noida-db's unless one is given."""
    url = os.environ.get(ELASTICSEARCH_ENV)
    if url:
        return ElasticsearchEndpoint(url, name="external")
    noida: NoidaDb = request.getfixturevalue("noida_db")
    return noida.elasticsearch


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Endpoint]:
    """An S3 API: ``.endpoint_url``, ``.region``, credentials, ``.client()``, ``.boto3_kwargs``."""
    url = os.environ.get(S3_ENV)
    if url:
        yield S3Endpoint.from_env(url)
        return
    with MotoS3() as server:
        _started(server)
        yield server.endpoint


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A short name no other test uses, e.g. ``producesconsumes3f9a0c1d``.

    Lowercase letters and digits only, starting with a letter, so the same name is a valid Kafka
    topic, PostgreSQL table, Elasticsearch index and S3 bucket.
    """
    test_name = getattr(request.node, "originalname", None) or request.node.name
    stem = re.sub(r"[^a-z0-9]", "", test_name.lower().removeprefix("test"))[:20]
    if not stem[:1].isalpha():
        stem = "t" + stem
    return stem + uuid.uuid4().hex[:8]
