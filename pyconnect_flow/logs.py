"""The log output of every `pyconnect-flow` process: one format, and no floods of one repeated warning.

`configure_logging` is called by the command line and by each worker process of a multi-process run (which
inherit the level through `PYCONNECT_FLOW_LOG_LEVEL`). `RepeatFilter` lets the first of a run of like
warnings or errors through (alike: the same logger, level and text once its numbers are set aside, so
"Connect to 127.0.0.1:9092 failed (after 3ms)" and "… (after 5ms)" are one), holds back the others for
`window_s`, and adds to the next one it lets through how many it held back: a lost broker gives one line
every 10 s with a count, not twenty a second. Digits that follow a letter are part of a name (connectors
`orders1` and `orders2` are not alike).
"""

from __future__ import annotations

import logging
import os
import re
import time

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVEL_ENV = "PYCONNECT_FLOW_LOG_LEVEL"
_NUMBERS = re.compile(r"(?<![A-Za-z])\d+")  # counts, ports, offsets; not the digits of names (c1, c2)
EVERY_LINE_LOGGERS = frozenset({"pyconnect_flow.errors"})
"""Loggers never rate-limited: `errors.log.enable` asks for a line per failed record, as Kafka Connect logs."""
QUIET_LOGGERS = ("elastic_transport", "elasticsearch", "botocore", "boto3", "s3transfer", "urllib3", "httpx",
                 "httpcore", "uvicorn", "uvicorn.error", "uvicorn.access", "asyncio")


class RepeatFilter(logging.Filter):
    """Rate-limits repetitions of one warning or error (see the module); INFO and below pass untouched."""

    def __init__(self, window_s: float = 10.0) -> None:
        super().__init__()
        self.window_s = window_s
        self._seen: dict[tuple[str, int, str], list[float]] = {}  # key → [first logged at, held back]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.name in EVERY_LINE_LOGGERS:
            return True
        text = record.getMessage()
        key = (record.name, record.levelno, _NUMBERS.sub("#", text))
        now = time.monotonic()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.window_s:
            seen[1] += 1
            return False
        if seen is not None and seen[1]:
            record.msg = (f"{text} ({int(seen[1])} similar message{'s' if seen[1] != 1 else ''} in the last "
                          f"{now - seen[0]:.3g} s not logged)")
            record.args = None
        if len(self._seen) > 1000:
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window_s}
        self._seen[key] = [now, 0]
        return True


def configure_logging(level: str) -> None:
    """Log at `level` to standard error in one format, with repetitions rate-limited (`RepeatFilter`);
    processes started from this one log at the same level."""
    level = level.upper()
    logging.basicConfig(level=level, format=LOG_FORMAT)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, RepeatFilter) for f in handler.filters):
            handler.addFilter(RepeatFilter())
    for name in QUIET_LOGGERS:  # clients that log every request at INFO: a flood, not progress
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level) if root.level >= logging.INFO
                                         else logging.NOTSET)
    os.environ[LEVEL_ENV] = level
