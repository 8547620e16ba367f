"""`StringConverter`: Kafka Connect's `org.apache.kafka.connect.storage.StringConverter`.

Writes any value as its text (`toString()` of the Java value it stands for: `true`, `42.0`,
`[1, 2]`, `{a=1}`, `Struct{a=1}`) in `converter.encoding` (UTF-8 by default); reads bytes
back as an optional string. The schema is ignored when writing.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from pyconnect_flow.config.definition import ConfigDef, ConfigKey, ConfigType, one_of
from pyconnect_flow.converters.base import Converter, SchemaAndValue
from pyconnect_flow.data.exceptions import DataException
from pyconnect_flow.data.java_text import decode_like_java, java_to_string
from pyconnect_flow.data.schema import OPTIONAL_STRING_SCHEMA, Schema, Type


def _valid_encoding(name: Any) -> str | None:
    try:
        codecs.lookup(str(name))
    except LookupError:
        return f"unsupported character set {name!r}"
    return None


def _codec(name: str) -> tuple[Callable[[str], bytes], Callable[[bytes], str]]:
    """Encode/decode functions with Java's semantics for `name`.

    Unmappable characters become `?` and malformed input U+FFFD, as `String.getBytes`/`new String`
    do. Java's `UTF-16` writes a big-endian byte order mark and reads big-endian when none is present.
    """
    info = codecs.lookup(name)
    if info.name == "utf-16":
        def encode16(text: str) -> bytes:
            return codecs.BOM_UTF16_BE + text.encode("utf-16-be", "replace")

        def decode16(data: bytes) -> str:
            if data.startswith(codecs.BOM_UTF16_LE):
                return data[2:].decode("utf-16-le", "replace")
            if data.startswith(codecs.BOM_UTF16_BE):
                data = data[2:]
            return data.decode("utf-16-be", "replace")
        return encode16, decode16
    codec = info.name

    def encode(text: str) -> bytes:
        return text.encode(codec, "replace")

    if codec == "utf-8":
        # Java groups the bytes of a malformed sequence into U+FFFD its own way (an encoded surrogate
        # is one U+FFFD, three in Python): decoded as Java's decoder does.
        return encode, decode_like_java

    def decode(data: bytes) -> str:
        return data.decode(codec, "replace")
    return encode, decode


class StringConverter(Converter):
    """Values ⇄ text bytes; every read gives `(OPTIONAL_STRING_SCHEMA, str | None)`.

    Example::

        c = StringConverter()
        c.configure({}, is_key=False)
        c.from_connect("t", None, True)    # b'true'
        c.to_connect("t", b"hello")        # (OPTIONAL_STRING_SCHEMA, 'hello')

    `bytes` values are written unchanged (Java would print an array's identity, which is of no use).
    """

    CONFIG: ClassVar[ConfigDef] = ConfigDef([
        ConfigKey("converter.type", ConfigType.STRING, None, "How this converter will be used (key, value, header).",
                  validator=one_of("key", "value", "header", case_sensitive=True), importance="low"),
        ConfigKey("converter.encoding", ConfigType.STRING, "UTF-8",
                  "The name of the Java character set to use for encoding strings as byte arrays.",
                  validator=_valid_encoding, importance="high"),
    ])

    def __init__(self) -> None:
        self.configure({}, False)

    def configure(self, config: Mapping[str, Any], is_key: bool) -> None:
        """Apply `converter.encoding`."""
        super().configure(config, is_key)
        values = self._checked(config)
        self.encoding: str = values["converter.encoding"]
        self._encode, self._decode = _codec(self.encoding)
        self._utf8 = codecs.lookup(self.encoding).name == "utf-8"

    def __getstate__(self) -> dict[str, Any]:
        # Compiled encoders/decoders are closures: pickle the settings and rebuild them.
        return {"settings": self._settings, "is_key": self.is_key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.configure(state["settings"], state["is_key"])

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        """The value's text in the configured encoding; None stays None."""
        if value is None:
            return None
        if type(value) is str:
            text = value
        elif isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        else:
            text = java_to_string(value, float32=schema is not None and schema.type is Type.FLOAT32)
        if self._utf8:
            try:
                return text.encode()
            except UnicodeEncodeError:
                pass
        return self._encode(text)

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        """`(OPTIONAL_STRING_SCHEMA, text)`; null bytes give `(OPTIONAL_STRING_SCHEMA, None)`."""
        if data is None:
            return OPTIONAL_STRING_SCHEMA, None
        try:
            return OPTIONAL_STRING_SCHEMA, self._decode(bytes(data))
        except (TypeError, ValueError) as exc:  # pragma: no cover - 'replace' does not raise
            raise DataException(f"Failed to deserialize string: {exc}") from exc

    def from_connect_batch(self, topic: str | Sequence[str], items: Sequence[SchemaAndValue]) -> list[bytes | None]:
        """Serialize many values; plain `str` values in UTF-8 skip every check."""
        if self._utf8:
            try:
                return [v.encode() if type(v) is str else self.from_connect("", s, v) for s, v in items]
            except UnicodeEncodeError:
                pass
        return [self.from_connect("", s, v) for s, v in items]

    def to_connect_batch(self, topic: str | Sequence[str], datas: Sequence[bytes | None]) -> list[SchemaAndValue]:
        """Deserialize many values."""
        schema, decode = OPTIONAL_STRING_SCHEMA, self._decode
        return [(schema, None if d is None else decode(bytes(d))) for d in datas]


__all__ = ["StringConverter"]
