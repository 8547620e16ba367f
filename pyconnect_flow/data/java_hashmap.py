"""The iteration order of a Java `HashMap` built with `new HashMap<>()`, for maps Kafka Connect decodes.

Kafka's JsonConverter turns every JSON object of a schemaless value (and every map with string
keys) into a `new HashMap<>()` and writes maps back in that map's iteration order, so a record
read and written again comes out with its keys reordered: `{"id":1,"amount":2,"note":3}` is
written `{"note":3,"amount":2,"id":1}`. Decoded maps are kept in that order here, so what is
written next (JSON, a file line, a document) has Kafka's bytes.

The order is the table's bucket order, entries of one bucket in insertion order: bucket =
`(h ^ (h >>> 16)) & (capacity - 1)` with `h = String.hashCode()`. The table starts at 16
buckets and doubles when it holds more than three quarters of its capacity, or when one bucket
reaches 9 entries while the table has fewer than 64 buckets. A bucket of 9 or more in a larger
table becomes a tree, whose order differs; such maps keep their order (None). `new HashMap<>()`
sizes its table alike on every JDK; copies (`new HashMap<>(map)`, used by some SMTs) do not, which
is why only decoded maps are ordered.
"""

from __future__ import annotations

from typing import Any

__all__ = ["java_map_order", "java_ordered", "java_ordered_flat_maps", "java_string_hash"]

_HASHES: dict[str, int] = {}
_CACHE_LIMIT = 8192
_TREEIFY_AT = 8  # entries already in a bucket when the next one makes Java treeify it (or grow the table)
_MIN_TREEIFY_CAPACITY = 64


def java_string_hash(text: str) -> int:
    """`String.hashCode()` as an unsigned 32-bit number (UTF-16 code units, 31 as the multiplier)."""
    h = _HASHES.get(text)
    if h is None:
        h = 0
        data = text.encode("utf-16-le", "surrogatepass")
        for i in range(0, len(data), 2):
            h = (31 * h + (data[i] | data[i + 1] << 8)) & 0xFFFFFFFF
        if len(_HASHES) >= _CACHE_LIMIT:
            _HASHES.clear()
        _HASHES[text] = h
    return h


def _bucket(h: int, capacity: int) -> int:
    return (h ^ (h >> 16)) & (capacity - 1)


def java_map_order(keys: tuple[str, ...]) -> tuple[str, ...] | None:
    """The iteration order of `new HashMap<>()` after `put`s of the distinct `keys`, in this order.

    None when the order is not modelled (a tree bin), or keys are not all strings.
    """
    if not all(type(k) is str for k in keys):
        return None
    hashes = [java_string_hash(k) for k in keys]
    capacity, threshold = 16, 12
    counts: dict[int, int] = {}
    for size, h in enumerate(hashes, start=1):
        b = _bucket(h, capacity)
        already = counts.get(b, 0)
        counts[b] = already + 1
        if already >= _TREEIFY_AT:
            if capacity >= _MIN_TREEIFY_CAPACITY:
                return None
            capacity, threshold = capacity * 2, threshold * 2
            counts = _recount(hashes[:size], capacity)
        if size > threshold:
            capacity, threshold = capacity * 2, threshold * 2
            counts = _recount(hashes[:size], capacity)
    positions = sorted(range(len(keys)), key=lambda i: _bucket(hashes[i], capacity))  # stable: insertion order
    return tuple(keys[i] for i in positions)


def _recount(hashes: list[int], capacity: int) -> dict[int, int]:
    counts: dict[int, int] = {}
    for h in hashes:
        b = _bucket(h, capacity)
        counts[b] = counts.get(b, 0) + 1
    return counts


_CONTAINERS = frozenset((dict, list))
_REORDER: dict[tuple[Any, ...], Any] = {}  # keys → function rebuilding the dict in Java order, or None
_UNKNOWN = object()


def _reorder_for(keys: tuple[Any, ...]) -> Any:
    """The function rebuilding a dict of `keys` in Java order (a dict display, compiled once per key
    tuple: three times faster than zipping), or None when the order is already Java's."""
    order = java_map_order(keys)
    rebuild = None
    if order is not None and order != keys:
        names = {f"k{i}": key for i, key in enumerate(order)}
        exec("def rebuild(d):\n    return {" + ", ".join(f"k{i}: d[k{i}]" for i in range(len(order))) + "}\n",  # noqa: S102
             names)
        rebuild = names["rebuild"]
    if len(_REORDER) >= _CACHE_LIMIT:
        _REORDER.clear()
    _REORDER[keys] = rebuild
    return rebuild


def java_ordered(node: Any, flat: bool = False) -> Any:
    """`node` (decoded JSON: dicts, lists, scalars) with every dict in `new HashMap<>()` order.

    Dicts already in that order are returned as they are; others are rebuilt. `flat`: the caller
    knows `node` holds no dict or list inside (its JSON text has one `{` and no `[`).
    """
    t = type(node)
    if t is list:
        if _CONTAINERS.isdisjoint(map(type, node)):
            return node
        return [java_ordered(x) for x in node]
    if t is not dict:
        return node
    if not flat and not _CONTAINERS.isdisjoint(map(type, node.values())):
        node = {k: java_ordered(x) for k, x in node.items()}
    keys = tuple(node)
    rebuild = _REORDER.get(keys, _UNKNOWN)
    if rebuild is _UNKNOWN:
        rebuild = _reorder_for(keys)
    return node if rebuild is None else rebuild(node)


def java_ordered_flat_maps(maps: list[Any]) -> list[Any] | None:
    """`java_ordered` of each of `maps`, flat dicts all with the keys of the first in the same order
    (one reordering plan for the batch); None when they are not all of that one shape."""
    if not maps or set(map(type, maps)) != {dict}:
        return None
    keys = tuple(maps[0])
    if not all(map(keys.__eq__, map(tuple, maps))):
        return None
    rebuild = _REORDER.get(keys, _UNKNOWN)
    if rebuild is _UNKNOWN:
        rebuild = _reorder_for(keys)
    return maps if rebuild is None else list(map(rebuild, maps))
