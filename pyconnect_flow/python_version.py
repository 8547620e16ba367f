"""Which Pythons pyconnect-flow runs on, and the message for the others.

Kept free of any import of ours or of a third party, so the check runs before anything that would fail
with a less helpful error (a syntax error on 3.9, `No module named 'bytewax'` on 3.13). The bounds are
pyproject.toml's `requires-python`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

OLDEST = (3, 10)
NEWEST = (3, 12)


def unsupported_message(version: Sequence[int] | None = None) -> str | None:
    """Why `version` (default: this interpreter's) cannot run pyconnect-flow, or None when it can."""
    major, minor = tuple((version or sys.version_info)[:2])
    if OLDEST <= (major, minor) <= NEWEST:
        return None
    newer = (major, minor) > NEWEST
    return (f"pyconnect-flow runs on Python {OLDEST[0]}.{OLDEST[1]} to {NEWEST[0]}.{NEWEST[1]}, and this is Python "
            f"{major}.{minor}"
            + (": Bytewax 0.21.1, its dataflow engine, has no release for newer Pythons yet" if newer else "")
            + f". Install a Python from {OLDEST[0]}.{OLDEST[1]} to {NEWEST[0]}.{NEWEST[1]} and run it from there "
            f"(for example: python{NEWEST[0]}.{NEWEST[1]} -m venv .venv).")


def too_old() -> bool:
    """Whether this Python is older than the oldest supported one (where our modules do not even parse)."""
    return tuple(sys.version_info[:2]) < OLDEST


def exit_if_unsupported() -> None:
    """Print the message and exit with status 1 when this Python cannot run pyconnect-flow."""
    message = unsupported_message()
    if message is not None:
        print(f"pyconnect-flow: {message}", file=sys.stderr)
        raise SystemExit(1)
