"""Every key of Kafka Connect's worker configs (`DistributedConfig` and `StandaloneConfig` of Apache Kafka 4.3.1),
and the prefixes a worker passes on: a key of a worker file outside both is a typo or a foreign key.

Generated from Kafka's own `ConfigDef`s by `tests/reference/WorkerKeys.java`; `tests/config/test_worker_keys.py`
checks this list against the Kafka on the test classpath.
"""

KAFKA_CONNECT_WORKER_KEYS = frozenset({
    "access.control.allow.methods", "access.control.allow.origin", "admin.listeners", "bootstrap.servers",
    "client.dns.lookup", "client.id", "config.providers", "config.storage.replication.factor",
    "config.storage.topic", "connect.protocol", "connections.max.idle.ms",
    "connector.client.config.override.policy", "exactly.once.source.support", "group.id", "header.converter",
    "header.converter.plugin.version", "heartbeat.interval.ms", "inter.worker.key.generation.algorithm",
    "inter.worker.key.size", "inter.worker.key.ttl.ms", "inter.worker.signature.algorithm",
    "inter.worker.verification.algorithms", "key.converter", "key.converter.plugin.version", "listeners",
    "metadata.max.age.ms", "metadata.recovery.rebootstrap.trigger.ms", "metadata.recovery.strategy",
    "metric.reporters", "metrics.num.samples", "metrics.recording.level", "metrics.sample.window.ms",
    "offset.flush.interval.ms", "offset.flush.timeout.ms", "offset.storage.file.filename",
    "offset.storage.partitions", "offset.storage.replication.factor", "offset.storage.topic", "plugin.discovery",
    "plugin.path", "rebalance.timeout.ms", "receive.buffer.bytes", "reconnect.backoff.max.ms",
    "reconnect.backoff.ms", "request.timeout.ms", "response.http.headers.config", "rest.advertised.host.name",
    "rest.advertised.listener", "rest.advertised.port", "rest.extension.classes", "retry.backoff.max.ms",
    "retry.backoff.ms", "sasl.client.callback.handler.class", "sasl.jaas.config", "sasl.kerberos.kinit.cmd",
    "sasl.kerberos.min.time.before.relogin", "sasl.kerberos.service.name", "sasl.kerberos.ticket.renew.jitter",
    "sasl.kerberos.ticket.renew.window.factor", "sasl.login.callback.handler.class", "sasl.login.class",
    "sasl.login.connect.timeout.ms", "sasl.login.read.timeout.ms", "sasl.login.refresh.buffer.seconds",
    "sasl.login.refresh.min.period.seconds", "sasl.login.refresh.window.factor",
    "sasl.login.refresh.window.jitter", "sasl.login.retry.backoff.max.ms", "sasl.login.retry.backoff.ms",
    "sasl.mechanism", "sasl.oauthbearer.assertion.algorithm", "sasl.oauthbearer.assertion.claim.aud",
    "sasl.oauthbearer.assertion.claim.exp.seconds", "sasl.oauthbearer.assertion.claim.iss",
    "sasl.oauthbearer.assertion.claim.jti.include", "sasl.oauthbearer.assertion.claim.nbf.seconds",
    "sasl.oauthbearer.assertion.claim.sub", "sasl.oauthbearer.assertion.file",
    "sasl.oauthbearer.assertion.private.key.file", "sasl.oauthbearer.assertion.private.key.passphrase",
    "sasl.oauthbearer.assertion.template.file", "sasl.oauthbearer.client.credentials.client.id",
    "sasl.oauthbearer.client.credentials.client.secret", "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience", "sasl.oauthbearer.expected.issuer", "sasl.oauthbearer.header.urlencode",
    "sasl.oauthbearer.jwks.endpoint.refresh.ms", "sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms",
    "sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", "sasl.oauthbearer.jwks.endpoint.url",
    "sasl.oauthbearer.jwt.retriever.class", "sasl.oauthbearer.jwt.validator.class", "sasl.oauthbearer.scope",
    "sasl.oauthbearer.scope.claim.name", "sasl.oauthbearer.sub.claim.name", "sasl.oauthbearer.token.endpoint.url",
    "scheduled.rebalance.max.delay.ms", "security.protocol", "send.buffer.bytes", "session.timeout.ms",
    "socket.connection.setup.timeout.max.ms", "socket.connection.setup.timeout.ms", "ssl.cipher.suites",
    "ssl.client.auth", "ssl.enabled.protocols", "ssl.endpoint.identification.algorithm",
    "ssl.engine.factory.class", "ssl.key.password", "ssl.keymanager.algorithm", "ssl.keystore.certificate.chain",
    "ssl.keystore.key", "ssl.keystore.location", "ssl.keystore.password", "ssl.keystore.type", "ssl.protocol",
    "ssl.provider", "ssl.secure.random.implementation", "ssl.trustmanager.algorithm",
    "ssl.truststore.certificates", "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.type",
    "status.storage.partitions", "status.storage.replication.factor", "status.storage.topic",
    "task.shutdown.graceful.timeout.ms", "topic.creation.enable", "topic.tracking.allow.reset",
    "topic.tracking.enable", "value.converter", "value.converter.plugin.version", "worker.sync.timeout.ms",
    "worker.unsync.backoff.ms",
})

WORKER_KEY_PREFIXES = (
    "producer.", "consumer.", "admin.", "key.converter.", "value.converter.", "header.converter.",
    "config.providers.", "listeners.https.", "listeners.http.", "admin.listeners.https.", "rest.extension.",
    "internal.key.converter.", "internal.value.converter.", "topic.creation.", "metric.reporters.",
)
"""Prefixes Kafka Connect passes to clients, converters, config providers and listeners."""
