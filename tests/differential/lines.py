"""Hostile file contents for FileStreamSource: every kind of byte a line may hold, and every terminator."""

from __future__ import annotations

import random

#: Pieces a line is made of (bytes: some are not UTF-8 on purpose).
PIECES: list[bytes] = [
    *(w.encode() for w in ("plain", "ascii words", " ", "  ", "\t", '"', "\\", "/", "{", "}", "[", "]", ",", ":",
                           "0", "-12", "3.5", "true", "null", "'", "<tag>", "&amp;", "%s", "${topic}", "$1")),
    *(chr(c).encode() for c in (*range(0x00, 0x0A), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)),  # controls, DEL
    *(chr(c).encode() for c in (0x80, 0x85, 0x9F, 0xA0, 0xAD)),  # C1 controls, NBSP, soft hyphen
    *(s.encode() for s in ("é", "ß", "€", "中文", "हिन्दी", "Ω", "\u0301", "\u200b", "\u200d", "\u2028", "\u2029",
                           "\ufeff", "\ufffd", "\ufffe", "\uffff", "\ue000", "\uf8ff")),
    *(s.encode() for s in ("\U0001F600", "\U0001D11E", "\U00010000", "\U0010FFFF", "\U0001F1E9\U0001F1EA",
                           "\U0001F468\u200d\U0001F469")),  # outside the BMP: surrogate pairs in Java
    # not UTF-8: lone continuation bytes, overlong forms, encoded surrogates, beyond U+10FFFF, truncated
    b"\x80", b"\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xe0\x9f\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf",
    b"\xed\xa0\x80\xed\xb0\x80", b"\xf0\x80\x80\x80", b"\xf0\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80",
    b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80", b"\xfe", b"\xff", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98",
    b"\xf0\x9f", b"\xe2", b"\xc3\x28", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc", b"\xef\xbb",
]

TERMINATORS = [b"\n", b"\n", b"\n", b"\r\n", b"\r\n", b"\r"]


def hostile_line(rnd: random.Random) -> bytes:
    """One line without its terminator: a mix of pieces; now and then empty or very long."""
    roll = rnd.random()
    if roll < 0.04:
        return b""
    if roll < 0.07:  # very long: tens to hundreds of kilobytes
        unit = b"".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 8)))
        # at most 150 kB: six times that (every byte a control character, escaped) still fits Kafka's 1 MB
        return (unit * (rnd.randint(20_000, 150_000) // max(1, len(unit))))[:150_000]
    return b"".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 24)))


def hostile_file(rnd: random.Random, count: int) -> tuple[bytes, list[bytes]]:
    """A file of ``count`` lines, each with a random terminator, the last one terminated by LF; and the lines."""
    lines = [hostile_line(rnd) for _ in range(count)]
    parts = []
    for i, line in enumerate(lines):
        terminator = b"\n" if i == count - 1 else rnd.choice(TERMINATORS)
        parts.append(line + terminator)
    data = b"".join(parts)
    if rnd.random() < 0.5:
        data = b"\xef\xbb\xbf" + data  # a byte order mark, which Java's decoder keeps (U+FEFF)
    return data, lines


def java_lines(data: bytes) -> list[str]:
    """The lines FileStreamSourceTask reads from ``data`` (a last line without terminator is not read)."""
    import re

    text = data.decode("utf-8", "replace")
    pieces = re.split(r"\r\n|\r|\n", text)
    return pieces[:-1]
