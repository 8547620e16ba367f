"""Kafka Connect's own ``JsonConverter`` (Jackson inside) as the reference for our bytes.

:func:`kafka_read_write` runs ``JsonConverterReference.java`` once for a list of cases: each case's data
is read by a JsonConverter (``toConnectData``) and written by another (``fromConnectData``), as a Kafka
Connect worker reads and writes a record. One JVM serves all cases of a call (about 2 s)::

    kafka_read_write([ReadWrite('{"schema":{"type":"string"},"payload":"\\\\ud83d\\\\ude00"}')])
    # [b'{"schema":{"type":"string","optional":true},"payload":"\\\\uD83D\\\\uDE00"}']
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.reference import maven

__all__ = ["Built", "Header", "KafkaError", "ReadWrite", "kafka_read_write", "utf16_units"]

_SOURCE = Path(__file__).with_name("JsonConverterReference.java")


@dataclass(frozen=True)
class ReadWrite:
    """One case: ``data`` (JSON text; lone surrogates allowed) read with ``read`` and written with ``write``."""

    data: str
    read: Mapping[str, str] = field(default_factory=dict)
    write: Mapping[str, str] = field(default_factory=dict)
    key: bool = False

    def request(self) -> dict[str, Any]:
        return {"data": self.data, "read": dict(self.read), "write": dict(self.write), "key": self.key}


@dataclass(frozen=True)
class Built:
    """One case: a value built in Java around string ``text`` (any UTF-16 code units), written with ``write``.

    ``shape`` "string": ``text`` with STRING_SCHEMA; "map": schemaless ``{text: [text]}``; "struct": a struct
    schema named ``text`` with doc ``text``, parameter ``text=text`` and one optional-less field ``text``
    (default ``text``), holding ``text``.
    """

    shape: str
    text: str
    write: Mapping[str, str] = field(default_factory=dict)

    def request(self) -> dict[str, Any]:
        return {"shape": self.shape, "units": utf16_units(self.text), "write": dict(self.write)}


@dataclass(frozen=True)
class Header:
    """One case: the header InsertHeader makes of ``literal`` (``Values.parseString``), written by a
    JsonConverter configured with ``write`` in its header role (``fromConnectHeader``)."""

    literal: str
    write: Mapping[str, str] = field(default_factory=dict)

    def request(self) -> dict[str, Any]:
        return {"header": self.literal, "write": {**self.write, "converter.type": "header"}}


def utf16_units(text: str) -> list[int]:
    """The UTF-16 code units of ``text`` as Java holds it (a lone surrogate is one unit of its own)."""
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]


class KafkaError(Exception):
    """What Kafka's JsonConverter raised for a case (its class name and message)."""


def kafka_read_write(cases: Sequence[ReadWrite | Built | Header], java_home: str | None = None) -> list[bytes | None | KafkaError]:
    """The bytes Kafka's JsonConverter writes for each case, None for null, or the error it raised."""
    # ensure_ascii: every code unit, lone surrogates too, travels as an escape
    lines = [json.dumps(c.request()) for c in cases]
    command = [maven.java(java_home), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", maven.classpath(), str(_SOURCE)]
    done = subprocess.run(command, input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=300)
    answers = done.stdout.splitlines()
    if done.returncode != 0 or len(answers) != len(cases):
        raise RuntimeError(f"{_SOURCE.name} exited with {done.returncode} after {len(answers)} of {len(cases)} "
                           f"cases:\n{done.stderr[-3000:]}")
    out: list[bytes | None | KafkaError] = []
    for answer in answers:
        status, _, rest = answer.partition(" ")
        if status == "OK":
            out.append(base64.b64decode(rest))
        elif status == "NULL":
            out.append(None)
        else:
            out.append(KafkaError(rest))
    return out
