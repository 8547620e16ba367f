"""FileStreamSource and FileStreamSink: Kafka Connect's file connectors.

`FileStreamSource` reads lines from one or more files (one source partition
per file, so files are read in parallel across workers) into a topic. Its
position is the byte offset after the last line read, kept in Bytewax
recovery snapshots, as Kafka Connect keeps `{"position": n}` for
`{"filename": path}`. Without stop-at-end it tails the files as Kafka Connect
does, waiting for a missing file to appear.

`FileStreamSink` writes each record's value as one line to a file (or stdout).
"""

from __future__ import annotations

import codecs
import datetime as dt
import glob
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Mapping
from itertools import accumulate, repeat
from operator import add
from typing import IO, Any

from pyconnect_flow.batches import ValueBatch
from pyconnect_flow.config.definition import ConfigDef, ConfigIssue, ConfigKey, ConfigType, at_least
from pyconnect_flow.connectors.file_text import flat_lines, struct_lines
from pyconnect_flow.contract.connector import Connector
from pyconnect_flow.contract.sink import RecordSink, SinkBatch, SinkWriter
from pyconnect_flow.contract.source import EndOfInput, ReadBatch, RecordSource, SourceReader
from pyconnect_flow.converters.java_text import java_to_string
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.data.java_text import decode_like_java
from pyconnect_flow.data.schema import STRING_SCHEMA
from pyconnect_flow.errors import ErrorPolicy, ErrorReporter
from pyconnect_flow.record import Record, new_record

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_LINE_END = re.compile(rb"\r\n|\r|\n")


def _java_print_errors(exc: UnicodeError) -> tuple[bytes, int]:
    """Surrogates in text being written, as Java's `PrintStream(…, UTF_8)` writes them: a high surrogate
    followed by a low one is the character they encode (a Python string may hold them apart, Java's
    always does), any other surrogate is `?`."""
    assert isinstance(exc, UnicodeEncodeError)
    text, out, i = exc.object, bytearray(), exc.start
    while i < exc.end:
        c = ord(text[i])
        if 0xD800 <= c <= 0xDBFF and i + 1 < len(text) and 0xDC00 <= ord(text[i + 1]) <= 0xDFFF:
            out += chr(0x10000 + ((c - 0xD800) << 10) + ord(text[i + 1]) - 0xDC00).encode("utf-8")
            i += 2
        else:
            out += b"?"
            i += 1
    return bytes(out), i


codecs.register_error("pyconnect-java-print", _java_print_errors)


class PolledLines(ValueBatch):
    """Lines read in one poll: their records carry the time of the poll, as FileStreamSourceTask's
    `SourceRecord`s do (`System.currentTimeMillis()`), which TimestampRouter and InsertField's
    `timestamp.field` see."""

    __slots__ = ("timestamp",)

    def __init__(self, topic: str, values: list[Any], value_schema: Any, source_partition: Mapping[str, Any],
                 offset_key: str, ends: list[int], timestamp: int) -> None:
        super().__init__(topic, values, value_schema, source_partition, offset_key, ends)
        self.timestamp = timestamp

    def record(self, i: int) -> Record:
        return new_record((self.topic, None, self.values[i], None, None, None, self.value_schema, (), self.timestamp,
                           self.source_partition, {self.offset_key: self.ends[i]}))

    def records(self) -> list[Record]:
        topic, schema, sp, key, ts = self.topic, self.value_schema, self.source_partition, self.offset_key, self.timestamp
        return [new_record((topic, None, v, None, None, None, schema, (), ts, sp, {key: end}))
                for v, end in zip(self.values, self.ends)]


class FileSourceError(ConnectException):
    """A source file is missing or unreadable."""


class FileReader(SourceReader):
    """Reads the lines of one file from a byte position, in batches of at most `batch_size`."""

    def __init__(self, path: str, topic: str, position: int, batch_size: int, stop_at_end: bool,
                 errors: ErrorReporter, poll_interval: dt.timedelta) -> None:
        self.path = path
        self.topic = topic
        self.batch_size = batch_size
        self.stop_at_end = stop_at_end
        self.errors = errors
        self.poll_interval = poll_interval
        self._source_partition = {"filename": path}
        self._file: IO[bytes] | None = None
        self._pos = position          # offset of the first byte not yet returned
        self._read_pos = position     # offset of the next byte to read from the file
        self._partial = b""
        self._lines: list[bytes] = []     # pending lines, without their terminators, from `_head` on
        self._seplens: list[int] = []     # length of each pending line's terminator
        self._head = 0
        self._eof = False
        self._waiting_logged = False
        self._idle = False

    def _open(self) -> bool:
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - kept open while reading
        except FileNotFoundError:
            if self.stop_at_end:
                raise FileSourceError(f"Source file {self.path!r} does not exist") from None
            if not self._waiting_logged:
                log.warning("Source file %r does not exist yet; waiting for it to appear", self.path)
                self._waiting_logged = True
            return False
        except OSError as exc:
            raise FileSourceError(f"Cannot read source file {self.path!r}: {exc.strerror}") from exc
        size = os.fstat(f.fileno()).st_size
        if self._read_pos > size:
            log.warning("Source file %r is shorter (%d bytes) than the stored position %d; reading from the start",
                        self.path, size, self._read_pos)
            self._pos = self._read_pos = 0
        f.seek(self._read_pos)
        self._file = f
        return True

    def _pending(self) -> int:
        return len(self._lines) - self._head

    def _fill(self) -> None:
        assert self._file is not None
        if self._head:
            del self._lines[: self._head]
            del self._seplens[: self._head]
            self._head = 0
        while len(self._lines) < self.batch_size:
            chunk = self._file.read(_CHUNK)
            if not chunk:
                self._eof = True
                return
            self._eof = False
            self._read_pos += len(chunk)
            buf = self._partial + chunk if self._partial else chunk
            if b"\r" in buf:
                keep_cr = buf.endswith(b"\r")
                if keep_cr:
                    buf = buf[:-1]
                pieces = _LINE_END.split(buf)
                seps = [m.group() for m in _LINE_END.finditer(buf)]
                self._partial = pieces.pop() + (b"\r" if keep_cr else b"")
                self._lines.extend(pieces)
                self._seplens.extend(len(s) for s in seps)
            else:
                lines = buf.split(b"\n")
                self._partial = lines.pop()
                self._lines.extend(lines)
                self._seplens.extend(repeat(1, len(lines)))

    def read(self) -> ReadBatch:
        if self._file is None and not self._open():
            self._idle = True
            return []
        if self._pending() < self.batch_size:
            self._fill()
        if not self._pending() and self._eof and self._partial and self.stop_at_end:
            # The file is complete: its last line ends here, and a CR kept back (in case LF followed) ends it.
            cr = self._partial.endswith(b"\r")
            self._lines.append(self._partial[:-1] if cr else self._partial)
            self._seplens.append(1 if cr else 0)
            self._partial = b""
        if not self._pending():
            if self._eof and self.stop_at_end:
                raise EndOfInput()
            self._idle = True
            return []
        self._idle = False
        h = self._head
        n = min(self.batch_size, len(self._lines) - h)
        lines = self._lines[h:h + n]
        seps = self._seplens[h:h + n]
        self._head = h + n
        start = self._pos
        ends = list(accumulate(map(add, map(len, lines), seps), initial=start))
        del ends[0]
        self._pos = ends[-1]
        # Lines hold no newline byte, and no UTF-8 sequence contains one: decoding the joined lines once
        # and splitting again gives each line's text. Bytes that are not UTF-8 become U+FFFD, as Kafka
        # Connect's FileStreamSourceTask (an InputStreamReader) decodes them: no line is ever dropped.
        data = b"\n".join(lines)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            log.warning("File %r: bytes that are not UTF-8 at offset %d (and maybe later in this batch of lines) "
                        "are read as U+FFFD, as Kafka Connect does", self.path, start + exc.start)
            text = decode_like_java(data)
        return PolledLines(self.topic, text.split("\n"), STRING_SCHEMA, self._source_partition, "position", ends,
                           int(time.time() * 1000))

    def position(self) -> int:
        return self._pos

    def wake_at(self) -> dt.datetime | None:
        if self._idle:
            return dt.datetime.now(dt.timezone.utc) + self.poll_interval
        return None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class FileSource(RecordSource):
    """Lines of files as records of `topic`: one partition per file, keyed by its path as given."""

    def __init__(self, paths: list[str], topic: str, *, batch_size: int = 2000, stop_at_end: bool = False,
                 errors: ErrorReporter | None = None, poll_interval_ms: int = 100) -> None:
        self.paths = list(dict.fromkeys(paths))
        self.topic = topic
        self.batch_size = batch_size
        self.stop_at_end = stop_at_end
        self.errors = errors or ErrorReporter("file-source", ErrorPolicy())
        self.poll_interval = dt.timedelta(milliseconds=poll_interval_ms)

    def preflight(self) -> None:
        problems = []
        for path in self.paths:
            if not os.path.exists(path):
                if self.stop_at_end:
                    problems.append(f"{path!r} does not exist")
            elif os.path.isdir(path):
                problems.append(f"{path!r} is a directory")
            elif not os.access(path, os.R_OK):
                problems.append(f"{path!r} is not readable")
        if problems:
            raise FileSourceError("Cannot read source file " + "; ".join(problems))

    def partitions(self) -> list[str]:
        return list(self.paths)

    def open(self, partition: str, position: Any | None) -> FileReader:
        return FileReader(partition, self.topic, int(position or 0), self.batch_size, self.stop_at_end,
                          self.errors, self.poll_interval)


# sink ---------------------------------------------------------------------

def java_string(value: Any, schema: Any = None) -> str:
    """How Java's `String.valueOf` prints a Connect value of `schema` (what FileStreamSink writes):
    `Float.toString` for FLOAT32 values, a `byte[]`'s identity (`[B@1b6d3586`)."""
    return java_to_string(value, schema=schema)


class _SharedFile:
    """One append handle per file and process, shared by the sink partitions writing it."""

    _lock = threading.Lock()
    _open: dict[str, _SharedFile] = {}

    def __init__(self, path: str | None) -> None:
        self.path = path
        # Lines are written as FileStreamSinkTask's PrintStream writes them: lone surrogates become "?".
        try:
            self.handle: IO[str] = sys.stdout if path is None else open(  # noqa: SIM115
                path, "a", encoding="utf-8", errors="pyconnect-java-print")
        except OSError as exc:  # FileStreamSinkTask.start's message
            raise ConnectException(f"Couldn't find or create file '{path}' for FileStreamSinkTask: "
                                   f"{exc.strerror or exc}") from None
        self.lock = threading.Lock()

    @classmethod
    def get(cls, path: str | None) -> _SharedFile:
        key = path or "-"
        with cls._lock:
            shared = cls._open.get(key)
            if shared is None:
                shared = cls._open[key] = cls(path)
            return shared


class FileWriter(SinkWriter):
    """Appends record values as lines, visible to readers batch by batch; `flush` fsyncs."""

    def __init__(self, path: str | None) -> None:
        self._file = _SharedFile.get(path)

    def write(self, records: SinkBatch) -> None:
        columns = getattr(records, "columns", None)  # plain lists of records are accepted too
        if columns is not None:  # decoded Kafka messages as columns: the values as they are, no records
            lines = flat_lines(columns.flat) if columns.flat is not None else None
            if lines is None:
                schemas, values = columns.value_columns()
                lines = struct_lines(schemas, values)
            if lines is not None:
                lines.append("")
                text = "\n".join(lines)
            else:
                text = "".join([java_string(v, s) + "\n" for s, v in columns.values])
        else:
            text = "".join(java_string(r.value, r.value_schema) + "\n" for r in records)
        with self._file.lock:
            # Handed to the OS batch by batch, so readers see lines at once, as Kafka's FileStreamSinkTask
            # (a PrintStream over an unbuffered file stream) shows them; `flush` makes them durable.
            self._file.handle.write(text)
            self._file.handle.flush()

    def flush(self) -> None:
        with self._file.lock:
            self._file.handle.flush()
            if self._file.path is not None:
                os.fsync(self._file.handle.fileno())
        return None


class FileSink(RecordSink):
    """Writes each record's value as a line of `path` (None: stdout)."""

    reports_late = False
    accepts_columns = True  # writes the decoded values of `SinkBatch.columns` without building records

    def __init__(self, path: str | None) -> None:
        self.path = path

    def preflight(self) -> None:
        if self.path is None:
            return
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise ConnectException(f"Cannot write sink file {self.path!r}: directory {directory!r} does not exist")
        if os.path.exists(self.path) and not os.access(self.path, os.W_OK):
            raise ConnectException(f"Cannot write sink file {self.path!r}: permission denied")

    def open(self, partition: str, state: Any | None) -> FileWriter:
        return FileWriter(self.path)


# connectors ---------------------------------------------------------------

class FileStreamSourceConnector(Connector):
    """Kafka Connect's FileStreamSource: lines of files → a topic."""

    KIND = "source"
    CLASS_NAMES = ("org.apache.kafka.connect.file.FileStreamSourceConnector",)
    CONFIG = ConfigDef([
        ConfigKey("file", ConfigType.STRING, None, "Source filename.", importance="high"),
        ConfigKey("files", ConfigType.LIST, [],
                  "Several source files or glob patterns, one source partition each (pyconnect-flow)."),
        ConfigKey("topic", ConfigType.STRING, doc="The topic to publish data to.",
                  validator=lambda v: None if v and "," not in v else "must be a single topic name", importance="high"),
        ConfigKey("batch.size", ConfigType.INT, 2000, "The maximum number of records the source returns per poll.",
                  validator=at_least(1), importance="low"),
        ConfigKey("file.poll.interval.ms", ConfigType.LONG, 100,
                  "How often a tailed file is checked for new lines (pyconnect-flow).", validator=at_least(1)),
    ])

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], raw: Mapping[str, Any]) -> list[ConfigIssue]:
        if not values.get("file") and not values.get("files"):
            return [ConfigIssue("file", "missing required key (set 'file' or 'files'; reading stdin is not supported)")]
        return []

    def paths(self) -> list[str]:
        paths = [self.ctx.config["file"]] if self.ctx.config.get("file") else []
        for pattern in self.ctx.config.get("files") or []:
            matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
            paths.extend(matches)
        return paths

    def source(self) -> FileSource:
        c = self.ctx.config
        return FileSource(self.paths(), c["topic"], batch_size=c["batch.size"], stop_at_end=self.ctx.stop_at_end,
                          errors=self.ctx.reporter, poll_interval_ms=c["file.poll.interval.ms"])


class FileStreamSinkConnector(Connector):
    """Kafka Connect's FileStreamSink: record values of topics → lines of a file."""

    KIND = "sink"
    CLASS_NAMES = ("org.apache.kafka.connect.file.FileStreamSinkConnector",)
    CONFIG = ConfigDef([
        ConfigKey("file", ConfigType.STRING, None, "Destination filename. If not specified, the standard output will be used",
                  importance="high"),
    ])

    def sink(self) -> FileSink:
        return FileSink(self.ctx.config.get("file"))


CONNECTORS: list[type[Connector]] = [FileStreamSourceConnector, FileStreamSinkConnector]
