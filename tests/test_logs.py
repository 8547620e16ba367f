"""The log output's rate limit: a run of like warnings is one line, then one line with the count."""

from __future__ import annotations

import io
import logging
import re
import time

from pyconnect_flow.logs import RepeatFilter


def _logger(name: str, window_s: float) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RepeatFilter(window_s))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


def test_like_warnings_are_one_line_then_one_line_with_the_count() -> None:
    logger, out = _logger("pyconnect_flow.test.repeat", window_s=0.3)
    for i in range(200):  # as librdkafka reports a lost broker: the same text, other numbers
        logger.error("FAIL|rdkafka#producer-1| Connect to ipv4#127.0.0.1:9092 failed (after %dms in state CONNECT)", i)
    logger.warning("Another warning")
    logger.error("Connector orders1 failed: no such table t1")
    logger.error("Connector orders2 failed: no such table t1")
    assert out.getvalue().splitlines() == [
        "ERROR FAIL|rdkafka#producer-1| Connect to ipv4#127.0.0.1:9092 failed (after 0ms in state CONNECT)",
        "WARNING Another warning",
        "ERROR Connector orders1 failed: no such table t1",
        "ERROR Connector orders2 failed: no such table t1"]
    time.sleep(0.35)
    logger.error("FAIL|rdkafka#producer-1| Connect to ipv4#127.0.0.1:9092 failed (after %dms in state CONNECT)", 7)
    last = out.getvalue().splitlines()[-1]
    assert re.fullmatch(r"ERROR FAIL\|rdkafka#producer-1\| Connect to ipv4#127\.0\.0\.1:9092 failed \(after 7ms in "
                        r"state CONNECT\) \(199 similar messages in the last 0\.3\d* s not logged\)", last), last
    assert len(out.getvalue().splitlines()) == 5


def test_info_lines_and_per_record_error_lines_are_never_held_back() -> None:
    logger, out = _logger("pyconnect_flow.test.progress", window_s=60)
    for i in range(3):
        logger.info("progress: %d records", i)
    errors, errors_out = _logger("pyconnect_flow.errors", window_s=60)
    for i in range(3):
        errors.error("Error encountered in task x-0 where the record is t-0@%d", i)
    assert out.getvalue().splitlines() == [f"INFO progress: {i} records" for i in range(3)]
    assert len(errors_out.getvalue().splitlines()) == 3
