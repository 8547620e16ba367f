"""errors.tolerance, logging and dead letter records (retries: tests/contract/test_retry.py)."""

from __future__ import annotations

import logging

import pytest

from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.engine.dead_letters import dead_letter_record
from pyconnect_flow.errors import ConnectorTaskError, ErrorPolicy, ErrorReporter, Stage
from pyconnect_flow.record import Record

RECORD = Record("orders", b"k", b"v", 2, 41, headers=(("h", b"1"),))


def test_tolerance_none_raises_with_connector_stage_and_coordinates() -> None:
    reporter = ErrorReporter("conn-a", ErrorPolicy(tolerance="none"))
    with pytest.raises(ConnectorTaskError) as info:
        reporter.failed(Stage.VALUE_CONVERTER, RECORD, DataException("bad json"), "JsonConverter")
    msg = str(info.value)
    assert "conn-a" in msg and "VALUE_CONVERTER" in msg and "JsonConverter" in msg
    assert "topic='orders' partition=2 offset=41" in msg and "bad json" in msg
    assert isinstance(info.value.__cause__, DataException)


def test_tolerance_all_without_dlq_skips_and_logs_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    quiet = ErrorReporter("c", ErrorPolicy(tolerance="all"))
    assert quiet.failed(Stage.TRANSFORMATION, RECORD, ValueError("x")) is None
    loud = ErrorReporter("c", ErrorPolicy(tolerance="all", log_enable=True, log_include_messages=True))
    with caplog.at_level(logging.ERROR, logger="pyconnect_flow.errors"):
        loud.failed(Stage.TRANSFORMATION, RECORD, ValueError("boom"), "Cast")
    text = caplog.text
    assert "Error encountered in task c-0" in text and "'TRANSFORMATION'" in text and "boom" in text
    assert "value=b'v'" in text


def test_messages_are_not_logged_unless_asked(caplog: pytest.LogCaptureFixture) -> None:
    reporter = ErrorReporter("c", ErrorPolicy(tolerance="all", log_enable=True))
    with caplog.at_level(logging.ERROR, logger="pyconnect_flow.errors"):
        reporter.failed(Stage.TRANSFORMATION, RECORD.replace(value=b"secret-payload"), ValueError("boom"))
    assert "secret-payload" not in caplog.text


def test_dead_letter_record_has_original_bytes_and_context_headers() -> None:
    policy = ErrorPolicy(tolerance="all", dlq_topic="dlq", dlq_context_headers=True)
    failed = ErrorReporter("conn", policy).failed(Stage.VALUE_CONVERTER, RECORD, DataException("nope"), "Json")
    assert failed is not None
    dead = dead_letter_record(failed, policy)
    assert (dead.topic, dead.key, dead.value, dead.partition) == ("dlq", b"k", b"v", None)
    headers = dict(dead.headers)
    assert headers["h"] == b"1"
    assert headers["__connect.errors.topic"] == b"orders"
    assert headers["__connect.errors.partition"] == b"2"
    assert headers["__connect.errors.offset"] == b"41"
    assert headers["__connect.errors.connector.name"] == b"conn"
    assert headers["__connect.errors.task.id"] == b"0"
    assert headers["__connect.errors.stage"] == b"VALUE_CONVERTER"
    assert headers["__connect.errors.class.name"] == b"Json"
    assert headers["__connect.errors.exception.class.name"] == b"pyconnect_flow.data.exceptions.DataException"
    assert headers["__connect.errors.exception.message"] == b"nope"
    assert b"DataException: nope" in headers["__connect.errors.exception.stacktrace"]
    plain = dead_letter_record(failed, ErrorPolicy(tolerance="all", dlq_topic="dlq"))
    assert dict(plain.headers) == {"h": b"1"}


def test_policy_from_config_values() -> None:
    policy = ErrorPolicy.from_values({"errors.tolerance": "ALL", "errors.deadletterqueue.topic.name": "d",
                                      "errors.deadletterqueue.context.headers.enable": True})
    assert policy.tolerate_all and policy.dlq_topic == "d" and policy.dlq_context_headers
    assert policy.retry_delay_max_ms == 60000 and policy.dlq_replication_factor == 3
