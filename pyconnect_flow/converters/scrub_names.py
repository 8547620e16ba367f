"""Names made valid for Avro or Protobuf as Confluent's converters make them (`scrub.invalid.names`).

Confluent's `AvroData.doScrubName` and `ProtobufData.doScrubName`: a name of ASCII letters, digits and `_` not
starting with a digit (nor, for Protobuf, with `_`) is kept; any other is URL-encoded as `java.net.URLEncoder`
encodes UTF-8 (letters, digits and `.-*_` kept, space `+`, every other byte `%XX`), given an `x` in front when
it then starts with a digit (or `_`), and every character but letters, digits and `_` becomes `_`.
"""

from __future__ import annotations

_KEPT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_URL_SAFE = _KEPT | frozenset(".-*")
_DIGITS = frozenset("0123456789")


def java_url_encoded(text: str) -> str:
    """`URLEncoder.encode(text, "UTF-8")` (a lone surrogate becomes `?`, as Java's encoder replaces it)."""
    out = []
    for ch in text:
        if ch in _URL_SAFE:
            out.append(ch)
        elif ch == " ":
            out.append("+")
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "replace"))
    return "".join(out)


def scrub_name(name: str, *, leading_underscore: bool = True) -> str:
    """`name` made a valid Avro (`leading_underscore=True`) or Protobuf (False) name, as Confluent does."""
    if not name:
        return name
    bad_start = name[0] in _DIGITS or (not leading_underscore and name[0] == "_")
    if not bad_start and all(ch in _KEPT for ch in name):
        return name
    encoded = java_url_encoded(name)
    if encoded[0] in _DIGITS or (not leading_underscore and encoded[0] == "_"):
        encoded = "x" + encoded
    return "".join(ch if ch in _KEPT else "_" for ch in encoded)
