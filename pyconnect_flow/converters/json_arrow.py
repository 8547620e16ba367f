"""JsonConverter payloads of one flat struct schema parsed into Arrow arrays in C, without a Python object each.

For a batch whose envelopes share their schema text, the payloads (the bytes after `"payload":`) are joined
with newlines and read by pyarrow's JSON reader against the Arrow schema of the fields. The batch is taken
only where the reader's answer is exactly what the record path decodes; anything else returns None and the
batch is parsed payload by payload (`JsonConverter.to_connect_columns`), which reports a bad value as always:

- every payload is one JSON object on one line (`{`…`}`, no raw newline) and the reader returns one row per
  payload (a line with two documents, or a top-level `null`, gives a second row);
- the whole batch is valid UTF-8 (the reader does not check strings, nor fields the schema does not name) and
  holds no `NaN`/`Infinity` token (JSON has none; the reader accepts them);
- integers fit their type and are integers, strings are strings, booleans booleans (the reader refuses the
  rest); a double field's values are finite and non-zero (the record path reads zeros itself: `-0.0`);
- required fields are never null.
Only INT8–INT64, FLOAT64, STRING and BOOLEAN fields are read this way (FLOAT32 would round once, not twice).
"""

from __future__ import annotations

import importlib.util
import os
from operator import itemgetter
from typing import Any

from pyconnect_flow.data.schema import Type

_ARROW_TYPES = {Type.INT8: "int8", Type.INT16: "int16", Type.INT32: "int32", Type.INT64: "int64",
                Type.FLOAT64: "float64", Type.STRING: "string", Type.BOOLEAN: "bool_"}


ARROW_ENV = "PYCONNECT_FLOW_ARROW"
"""Set to 0 (false, off) to keep columnar batches in Python lists even for sinks that read Arrow."""


def arrow_available() -> bool:
    """Whether pyarrow is installed (it comes with the `s3` extra, not with the core install) and not turned
    off by `PYCONNECT_FLOW_ARROW`."""
    if os.environ.get(ARROW_ENV, "1").strip().lower() in ("0", "false", "off", "no"):
        return False
    return importlib.util.find_spec("pyarrow") is not None


def arrow_schema_of(fields: list[tuple[str, Type, bool]]) -> Any | None:
    """The Arrow schema a batch of these (name, type, optional) fields is read into; None if a type is not
    read by `read_payloads`."""
    import pyarrow as pa

    if any(kind not in _ARROW_TYPES for _, kind, _ in fields):
        return None
    return pa.schema([pa.field(name, getattr(pa, _ARROW_TYPES[kind])(), optional)
                      for name, kind, optional in fields])


def read_payloads(datas: list[bytes], prefix_length: int, fields: list[tuple[str, Type, bool]],
                  schema: Any) -> Any | None:
    """The payloads `data[prefix_length:-1]` of `datas` (envelopes the caller checked to share one prefix, each
    payload starting with `{` and ending with `}`) as an Arrow table of `schema`, or None where the record path
    might decode them otherwise."""
    import pyarrow as pa
    import pyarrow.json as pj

    payloads = list(map(itemgetter(slice(prefix_length, -1)), datas))
    joined = b"\n".join(payloads)
    if joined.count(b"\n") != len(payloads) - 1 or b"NaN" in joined or b"Infinity" in joined:
        return None
    try:
        joined.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        table = pj.read_json(pa.BufferReader(joined),
                             read_options=pj.ReadOptions(use_threads=False, block_size=len(joined) + 64),
                             parse_options=pj.ParseOptions(explicit_schema=schema,
                                                           unexpected_field_behavior="ignore",
                                                           newlines_in_values=False))
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != len(payloads):
        return None
    return table.combine_chunks() if _as_decoded(table, fields) else None


def _as_decoded(table: Any, fields: list[tuple[str, Type, bool]]) -> bool:
    import pyarrow.compute as pc

    for column, (_, kind, optional) in zip(table.columns, fields):
        if not optional and column.null_count:
            return False
        if kind is Type.FLOAT64 and column.null_count < len(column):
            finite_non_zero = pc.and_(pc.is_finite(column), pc.not_equal(column, 0.0))
            if not pc.all(finite_non_zero, skip_nulls=True).as_py():
                return False
    return True
