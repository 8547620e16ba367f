"""Java `.properties` files, read exactly as `java.util.Properties.load` reads them.

Kafka Connect's worker and connector files are `.properties` files, so every quirk
users rely on (or trip over) must behave as it does on the JVM::

    # a comment         ! also a comment      (only as the first non-blank char of a line)
    key=value           key:value             key value        (first unescaped =, : or blank)
    key = value         leading blanks of the value and blanks around the separator dropped
    path=C:\\\\dir        escapes: \\t \\n \\r \\f \\uXXXX; \\x for any other x is x (so \\= \\: \\# \\! \\  \\\\)
    long=a,\\
         b              a line ending in an odd number of backslashes continues on the next
                        line, whose leading blanks are dropped
    key                 a key alone has the empty value; a later duplicate wins

Encoding: Kafka's `Utils.loadProps` uses `Properties.load(InputStream)`, which decodes
ISO-8859-1, but people write these files as UTF-8 (and Java 9+ reads resource bundles as
UTF-8). `load_properties` decodes UTF-8 and falls back to ISO-8859-1 only when the bytes are
not valid UTF-8, which reads both kinds of file as their author meant. A UTF-8 byte order
mark is dropped (Java would make it part of the first key).

Size: a config file is read up to `MAX_CONFIG_BYTES` (1 MiB) and refused beyond, so a wrong path
such as `/dev/zero` or a FIFO fails with a message naming the file instead of filling memory or
waiting forever (Java would read on without bound).
"""

from __future__ import annotations

import os
import re
import select
import stat
import time
from collections.abc import Iterator

from pyconnect_flow.data.exceptions import ConnectException

_BLANK = " \t\f"
_EOL = "\r\n"
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_HEX = frozenset("0123456789abcdefABCDEF")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

MAX_CONFIG_BYTES = 1 << 20
"""Largest config file (worker, connector, `${file:…}` properties) and config provider value, in bytes: 1 MiB."""

DEVICE_READ_SECONDS = 10.0
"""How long a config path that is not a regular file (a FIFO, `/dev/stdin`) may take to deliver its content."""


class PropertiesSyntaxError(ValueError):
    """A `.properties` text Java would reject (only a malformed `\\uXXXX` escape is an error there).

    `line` is the 1-based physical line where the offending logical line starts. The message
    never quotes the text: a properties file may hold secrets.
    """

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


class ConfigFileError(ConnectException):
    """A config file that cannot be used: missing, unreadable, or not valid; the message names the file."""

    def __init__(self, path: str | os.PathLike[str], message: str) -> None:
        self.path = os.fspath(path)
        super().__init__(f"{self.path}: {message}")


def parse_properties(text: str) -> dict[str, str]:
    """Keys and values of a `.properties` text, as `java.util.Properties.load(Reader)` gives them.

    >>> parse_properties("a=1\\nb : two\\\\\\n  lines\\n# note\\nc")
    {'a': '1', 'b': 'twolines', 'c': ''}

    Raises PropertiesSyntaxError on a malformed `\\uXXXX` escape.
    """
    result: dict[str, str] = {}
    for start, line in _logical_lines(text):
        key, value = _split_key_value(line)
        try:
            result[_unescape(key)] = _unescape(value)
        except ValueError as exc:
            raise PropertiesSyntaxError(str(exc), _line_number(text, start)) from None
    return result


def decode_properties(data: bytes) -> str:
    """The text of a `.properties` file's bytes: UTF-8 (BOM dropped), else ISO-8859-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def load_properties(path: str | os.PathLike[str]) -> dict[str, str]:
    """Parse the `.properties` file at `path`; ConfigFileError naming the file when it cannot be read or parsed."""
    return parse_properties_file_text(path, read_config_text(path, "properties"))


def read_config_text(path: str | os.PathLike[str], what: str) -> str:
    """The decoded text of a config file (see `decode_properties`); ConfigFileError naming it when unreadable
    or larger than `MAX_CONFIG_BYTES`."""
    return decode_properties(read_config_bytes(path, what))


def read_config_bytes(path: str | os.PathLike[str], what: str, limit: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of the config file at `path`, at most `limit`; ConfigFileError naming it otherwise.

    At most `limit + 1` bytes are ever read. A path that is not a regular file (a FIFO, a device,
    `/dev/stdin`) is opened without blocking and must deliver its content within
    `DEVICE_READ_SECONDS`, so neither `/dev/zero` nor a FIFO nobody writes to can hang the run.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ConfigFileError(path, f"cannot read {what} file: {exc.strerror or exc}") from None
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
        deadline = None if regular or not hasattr(os, "O_NONBLOCK") else time.monotonic() + DEVICE_READ_SECONDS
        data = _read_at_most(fd, limit + 1, deadline)
    except TimeoutError:
        raise ConfigFileError(path, f"cannot read {what} file: no end of data within {DEVICE_READ_SECONDS:g} s "
                                    "(a FIFO or device that nothing writes to?)") from None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot read {what} file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ConfigFileError(path, f"{what} file is larger than {size_text(limit)}, the limit for config files "
                                    "(is it the right file?)")
    return data


def size_text(n: int) -> str:
    """`n` bytes as people write it: "1 MiB", "512 KiB", "100 bytes"."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def _read_at_most(fd: int, n: int, deadline: float | None) -> bytes:
    """Up to `n` bytes of `fd` (fewer at end of file); with a deadline, `fd` is non-blocking and waited on."""
    chunks: list[bytes] = []
    remaining = n
    while remaining > 0:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        try:
            chunk = os.read(fd, min(remaining, 1 << 16))
        except BlockingIOError:
            continue
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def parse_properties_file_text(path: str | os.PathLike[str], text: str) -> dict[str, str]:
    """`parse_properties(text)` for text read from `path`: a syntax error becomes a ConfigFileError naming it."""
    try:
        return parse_properties(text)
    except PropertiesSyntaxError as exc:
        raise ConfigFileError(path, f"invalid properties file, {exc}") from None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(start index, content) of each logical line: a port of Java 11+'s `Properties.LineReader.readLine`.

    Comments and blank lines are skipped, leading blanks dropped, and a line ending in an odd
    number of backslashes joined with the next (minus its leading blanks). Escapes are kept
    for `_split_key_value` and `_unescape`.
    """
    n = len(text)
    i = 0
    buf: list[str] = []
    start = 0
    skip_blank = True
    continued = False  # Java's appendedLineBegin: line breaks end the line even while skipping blanks
    odd_backslashes = False
    while i < n:
        c = text[i]
        i += 1
        if skip_blank:
            if c in _BLANK or (not continued and c in _EOL):
                continue
            skip_blank = False
            continued = False
        if not buf and c in "#!":
            while i < n and text[i] not in _EOL:
                i += 1
            skip_blank = True
            continue
        if c not in _EOL:
            if not buf:
                start = i - 1
            buf.append(c)
            odd_backslashes = not odd_backslashes if c == "\\" else False
            continue
        if not buf:
            skip_blank = True
        elif i >= n:  # a line break right at the end never continues, and the line counts even if now empty
            break
        elif odd_backslashes:
            buf.pop()
            skip_blank = continued = True
            odd_backslashes = False
            if c == "\r" and i < n and text[i] == "\n":
                i += 1
        else:
            yield start, "".join(buf)
            buf.clear()
            skip_blank = True
    if buf:
        if odd_backslashes:
            buf.pop()
        yield start, "".join(buf)


def _split_key_value(line: str) -> tuple[str, str]:
    """Escaped key and value of one logical line (Java's `Properties.load0`)."""
    n = len(line)
    key_end = 0
    value_start = n
    has_separator = False
    escaped = False
    while key_end < n:
        c = line[key_end]
        if not escaped and c in "=:":
            value_start = key_end + 1
            has_separator = True
            break
        if not escaped and c in _BLANK:
            value_start = key_end + 1
            break
        escaped = not escaped if c == "\\" else False
        key_end += 1
    while value_start < n:
        c = line[value_start]
        if c not in _BLANK:
            if has_separator or c not in "=:":
                break
            has_separator = True
        value_start += 1
    return line[:key_end], line[value_start:]


def _unescape(text: str) -> str:
    """Resolve backslash escapes (Java's `Properties.loadConvert`); ValueError on a bad `\\uXXXX`."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    surrogates = False
    while i < n:
        c = text[i]
        i += 1
        if c != "\\":
            out.append(c)
            continue
        if i >= n:  # cannot come from a logical line; kept lenient for direct callers
            break
        c = text[i]
        i += 1
        if c == "u":
            digits = text[i:i + 4]
            if len(digits) < 4 or not _HEX.issuperset(digits):
                raise ValueError("malformed \\uxxxx encoding")
            code = int(digits, 16)
            surrogates = surrogates or 0xD800 <= code <= 0xDFFF
            out.append(chr(code))
            i += 4
        else:
            out.append(_ESCAPES.get(c, c))
    result = "".join(out)
    if surrogates:
        # Java strings are UTF-16: "\\ud83d\\ude00" is one character; lone halves stay as they are.
        result = result.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return result


def _line_number(text: str, index: int) -> int:
    """1-based physical line of `text[index]` (any of CRLF, CR, LF ends a line)."""
    return len(_LINE_BREAK.findall(text, 0, index)) + 1
