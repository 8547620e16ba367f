"""`pyconnect-flow connectors`: every built-in connector with its class name and aliases, once each."""

from __future__ import annotations

import subprocess
import sys

from pyconnect_flow.connectors.registry import builtin_connectors, connector_class


def test_aliases_are_listed_once_and_resolve_to_their_connector() -> None:
    for cls in builtin_connectors():
        names = cls.short_names()
        assert len(names) == len(set(names)), (cls, names)
        for name in names:
            assert connector_class(name) is cls


def test_connectors_command_lists_s3_and_elasticsearch_aliases_once() -> None:
    done = subprocess.run([sys.executable, "-m", "pyconnect_flow", "connectors"], capture_output=True, text=True,
                          timeout=60, check=True)
    lines = {line.split()[1]: line for line in done.stdout.splitlines()}
    assert lines["io.confluent.connect.s3.S3SinkConnector"].endswith("(aliases: S3SinkConnector, S3Sink)")
    assert lines["io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"].endswith(
        "(aliases: ElasticsearchSinkConnector, ElasticsearchSink)")
