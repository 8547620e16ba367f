"""What a JVM prints and reads: ``Double.toString``, ``Float.toString``, UTF-8 decoding and ``PrintStream`` output.

:func:`java_answers` runs ``JavaTextReference.java`` once for a list of requests (about a second, plus the
work), on the JDK given (the number texts differ between JDK 17 and JDK 19+)::

    java_answers([("double", 1e23), ("decode", b"\\xed\\xa0\\x80")])  # ['1.0E23', '\\ufffd']
"""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.reference import maven

__all__ = ["java_answers"]

_SOURCE = Path(__file__).with_name("JavaTextReference.java")


def _request(op: str, arg: object) -> str:
    if op == "double":
        assert isinstance(arg, float)
        return f"double {struct.unpack('<Q', struct.pack('<d', arg))[0]:x}"
    if op == "float":
        assert isinstance(arg, float)
        return f"float {struct.unpack('<I', struct.pack('<f', arg))[0]:x}"
    if op in ("decode", "string"):
        assert isinstance(arg, bytes)
        return f"{op} {arg.hex()}"
    if op == "print":
        assert isinstance(arg, str)
        return "print " + _units(arg)
    if op == "copy":
        assert isinstance(arg, tuple)
        return "copy " + " ".join(_key_list(keys) for keys in arg)
    if op == "sized":
        assert isinstance(arg, tuple)
        return f"sized {arg[0]} {_key_list(arg[1])}"
    if op in ("format", "parse"):
        assert isinstance(arg, tuple)
        pattern, value = arg
        return f"{op} {_units(pattern)} {value if op == 'format' else _units(value)}"
    raise ValueError(op)


def _key_list(keys: object) -> str:
    assert isinstance(keys, (list, tuple))
    return ",".join(_units(k) for k in keys) or "-"


def _units(text: str) -> str:
    return text.encode("utf-16-be", "surrogatepass").hex()


def _answer(op: str, text: str) -> str | bytes:
    if op in ("decode", "string"):
        return bytes.fromhex(text).decode("utf-16-be", "surrogatepass")
    if op == "print":
        return bytes.fromhex(text)
    if op in ("copy", "sized"):
        return "" if text == "-" else ",".join(bytes.fromhex(u).decode("utf-16-be", "surrogatepass")
                                               for u in text.split(","))
    if op == "format" and text != "ERR":
        return bytes.fromhex(text).decode("utf-16-be", "surrogatepass")
    return text


def java_answers(requests: Sequence[tuple[str, object]], java_home: str | None = None) -> list[str | bytes]:
    """The JVM's answer to each ``(op, argument)``: ``("double", x)`` / ``("float", x)`` → its toString;
    ``("decode", data)`` → the text an ``InputStreamReader(UTF_8)`` reads; ``("string", data)`` → the text
    ``new String(data, UTF_8)`` holds; ``("print", text)`` → the bytes
    ``PrintStream(UTF_8).println(text)`` writes; ``("format", (pattern, millis))`` → the text of
    ``SimpleDateFormat(pattern, Locale.US)`` in UTC (or "ERR"); ``("parse", (pattern, text))`` → the millis
    it parses, as text (or "ERR"); ``("copy", (keys, puts, removes))`` and ``("sized", (n, keys))`` → the
    iteration order (comma-joined) of the HashMap those build (see ``JavaTextReference.java``)."""
    lines = "".join(_request(op, arg) + "\n" for op, arg in requests)
    command = [maven.java(java_home), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", str(_SOURCE)]
    done = subprocess.run(command, input=lines, capture_output=True, text=True, timeout=600)
    answers = done.stdout.splitlines()
    if done.returncode != 0 or len(answers) != len(requests):
        raise RuntimeError(f"{_SOURCE.name} exited with {done.returncode} after {len(answers)} of "
                           f"{len(requests)} requests:\n{done.stderr[-3000:]}")
    return [_answer(op, text) for (op, _), text in zip(requests, answers)]
