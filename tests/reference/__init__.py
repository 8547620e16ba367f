"""Apache Kafka itself as the reference, for tests and benchmarks only (the library never needs a JVM).

- :mod:`tests.reference.maven`: the JDK (17+) and the Kafka jars, resolved by Maven from ``pom.xml``
  once into the local Maven repository, with the classpath cached under ``~/.cache/pyconnect-flow/``.
- :mod:`tests.reference.kafka_broker`: :class:`~tests.reference.kafka_broker.ApacheKafka`, a real
  single-node KRaft broker on free loopback ports.
- :mod:`tests.reference.jackson`: Kafka Connect's own ``JsonConverter`` run on a list of cases
  (``JsonConverterReference.java``), to compare our bytes with Jackson's.

A machine without ``java`` 17+ or ``mvn`` (or without access to Maven Central on the first run) fails
the tests that need them, with :class:`~tests.reference.maven.ReferenceSetupError` naming what is
missing; nothing is skipped.
"""
