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
sizes its table alike on every JDK; copies (`new HashMap<>(map)`, which the SMTs make of schemaless
maps) do not: `java_copied` and `java_sized` order the maps the SMTs build, for the JDK that
`java_numbers.jdk()` names.
"""

from __future__ import annotations

from typing import Any

from pyconnect_flow.data import java_numbers

__all__ = ["copy_capacity", "hash_order", "java_copied", "java_hash_code", "java_map_order", "java_ordered",
           "java_ordered_flat_maps", "java_ordered_by_schema", "java_sized", "java_string_hash",
           "rebuild_function"]

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
    positions = hash_order([java_string_hash(k) for k in keys])
    return None if positions is None else tuple(keys[i] for i in positions)


def hash_order(hashes: list[int]) -> list[int] | None:
    """The iteration order of `new HashMap<>()` after `put`s of distinct keys with these `hashCode()`s
    (unsigned 32-bit), as positions in the list; None when the order is not modelled (a tree bin)."""
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
    return sorted(range(len(hashes)), key=lambda i: _bucket(hashes[i], capacity))  # stable: insertion order


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


# Keys of other types: maps with a key schema, which JsonConverter also decodes into `new HashMap<>()`.

_MASK = 0xFFFFFFFF
_NO_HASH = object()


def _long_hash(v: int) -> int:
    v &= 0xFFFFFFFFFFFFFFFF
    return (v ^ (v >> 32)) & _MASK


def _big_integer_hash(n: int) -> int:
    """`BigInteger.hashCode()`: its magnitude's 32-bit words, most significant first, times the sign."""
    magnitude, h = abs(n), 0
    words = []
    while magnitude:
        words.append(magnitude & _MASK)
        magnitude >>= 32
    for word in reversed(words):
        h = (31 * h + word) & _MASK
    return (-h if n < 0 else h) & _MASK


def _big_decimal_hash(value: Any) -> int:
    """`BigDecimal.hashCode()`: from its unscaled value and scale (so 1.0 and 1.00 differ)."""
    sign, digits, exponent = value.as_tuple()
    unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    scale = -exponent
    if -(1 << 63) < unscaled < (1 << 63):  # BigDecimal keeps it in a long ("compact")
        val2 = abs(unscaled)
        temp = ((val2 >> 32) * 31 + (val2 & _MASK)) & _MASK
        signed = (-temp if unscaled < 0 else temp) & _MASK
        return (31 * signed + scale) & _MASK
    return (31 * _big_integer_hash(unscaled) + scale) & _MASK


def java_hash_code(value: Any, schema: Any) -> Any:
    """`hashCode()` (unsigned 32-bit) of the Java object a Connect value of `schema` is in Kafka Connect;
    `_NO_HASH` when it is not modelled (byte arrays, whose hash is their identity; structs)."""
    import struct

    from pyconnect_flow.data import logical
    from pyconnect_flow.data.schema import Type

    if value is None:
        return 0
    name = getattr(schema, "name", None)
    if name == logical.DECIMAL_NAME:
        return _big_decimal_hash(value)
    if name in (logical.DATE_NAME, logical.TIME_NAME, logical.TIMESTAMP_NAME):  # java.util.Date: of getTime()
        from pyconnect_flow.data.java_dates import temporal_to_millis

        return _long_hash(temporal_to_millis(value))
    t = schema.type
    if t is Type.STRING:
        return java_string_hash(value)
    if t in (Type.INT8, Type.INT16, Type.INT32):
        return value & _MASK
    if t is Type.INT64:
        return _long_hash(value)
    if t is Type.BOOLEAN:
        return 1231 if value else 1237
    if t is Type.FLOAT32:  # Float.hashCode(): floatToIntBits of the float the double narrows to
        from pyconnect_flow.data.java_numbers import to_float32

        return 0x7FC00000 if value != value else struct.unpack("<I", struct.pack("<f", to_float32(value)))[0]
    if t is Type.FLOAT64:
        bits = 0x7FF8000000000000 if value != value else struct.unpack("<Q", struct.pack("<d", value))[0]
        return _long_hash(bits)
    if t is Type.ARRAY:  # List.hashCode()
        h = 1
        for item in value:
            item_hash = java_hash_code(item, schema.value_schema)
            if item_hash is _NO_HASH:
                return _NO_HASH
            h = (31 * h + item_hash) & _MASK
        return h
    if t is Type.MAP:  # Map.hashCode(): the sum of key hash ^ value hash
        total = 0
        for k, v in value.items():
            kh, vh = java_hash_code(k, schema.key_schema), java_hash_code(v, schema.value_schema)
            if kh is _NO_HASH or vh is _NO_HASH:
                return _NO_HASH
            total += kh ^ vh
        return total & _MASK
    return _NO_HASH


def java_ordered_by_schema(d: dict[Any, Any], key_schema: Any) -> dict[Any, Any]:
    """`d` (a map decoded in input order, keys of `key_schema`) in `new HashMap<>()` iteration order;
    as it is when that order is not modelled."""
    if len(d) < 2:
        return d
    hashes = [java_hash_code(k, key_schema) for k in d]
    if any(h is _NO_HASH for h in hashes):
        return d
    positions = hash_order(hashes)
    if positions is None:
        return d
    items = list(d.items())
    return dict(items[i] for i in positions)


# Maps the SMTs build: `new HashMap<>(map)` (a copy) or `new HashMap<>(n)`, then puts and removes. A copy's
# table is sized from the copied map's size, and that sizing changed in JDK 19 (JDK-8281631): the same
# keys come out in another order on JDK 17 and on JDK 21 for copies of 3, 6, 12, 24, ... entries.

_MAX_CAPACITY = 1 << 30


def _table_size_for(c: int) -> int:
    """`HashMap.tableSizeFor`: the power of two at or above `c` (at least 1)."""
    return 1 if c <= 1 else min(1 << (c - 1).bit_length(), _MAX_CAPACITY)


def copy_capacity(size: int) -> int:
    """The threshold `new HashMap<>(map)` sets for a map of `size` entries (0: none, the default 16 later)."""
    if size == 0:
        return 0
    if not java_numbers.legacy_to_string:  # JDK 19+
        wanted = -(-size * 4 // 3)  # Math.ceil(s / 0.75)
    else:
        wanted = int(size / 0.75 + 1.0)  # (float) s / 0.75f + 1.0f
    return _table_size_for(wanted)


def _simulate(threshold: int, keys: tuple[Any, ...], removed: frozenset[Any]) -> list[int] | None:
    """Positions of `keys` (put in this order into a HashMap whose initial threshold is `threshold`, 0 for
    the default) in iteration order, leaving out `removed` (removed after the puts)."""
    hashes = [java_string_hash(k) for k in keys]
    capacity = 0
    counts: dict[int, int] = {}

    def resize() -> None:
        nonlocal capacity, threshold, counts
        if capacity > 0:
            new_cap = capacity << 1
            new_thr = threshold << 1 if capacity >= 16 else 0
        elif threshold > 0:
            new_cap, new_thr = threshold, 0
        else:
            new_cap, new_thr = 16, 12
        if new_thr == 0:
            new_thr = int(new_cap * 0.75)
        capacity, threshold = new_cap, new_thr
        counts = {}
        for h in hashes[:size]:
            b = _bucket(h, capacity)
            counts[b] = counts.get(b, 0) + 1

    size = 0
    for h in hashes:
        if capacity == 0:
            resize()
        b = _bucket(h, capacity)
        already = counts.get(b, 0)
        size += 1
        counts[b] = already + 1
        if already >= _TREEIFY_AT:
            if capacity >= _MIN_TREEIFY_CAPACITY:
                return None
            resize()
        if size > threshold:
            resize()
    return sorted((i for i in range(len(keys)) if keys[i] not in removed), key=lambda i: _bucket(hashes[i], capacity))


_PLANS: dict[tuple[Any, ...], Any] = {}


def rebuild_function(order: tuple[Any, ...], current: tuple[Any, ...]) -> Any:
    """A function rebuilding a dict whose keys are `current` (in this order) with its keys in `order`;
    None when the orders are the same."""
    return _rebuild(order, current)


def _rebuild(order: tuple[Any, ...], current: tuple[Any, ...]) -> Any:
    if order == current:
        return None
    names = {f"k{i}": key for i, key in enumerate(order)}
    exec("def rebuild(d):\n    return {" + ", ".join(f"k{i}: d[k{i}]" for i in range(len(order))) + "}\n",  # noqa: S102
         names)
    return names["rebuild"]


_SAME_KEYS: dict[bool, dict[tuple[Any, ...], Any]] = {False: {}, True: {}}  # by JDK family: keys → rebuild


def _planned(plan_key: tuple[Any, ...], threshold: int, puts: tuple[Any, ...], removed: frozenset[Any],
             after: dict[Any, Any], plan: bool = False) -> Any:
    """`after` rebuilt in the order the plan gives (or, with `plan`, the rebuild function itself)."""
    rebuild = _PLANS.get(plan_key, _UNKNOWN)
    if rebuild is _UNKNOWN:
        rebuild = None
        if all(type(k) is str for k in puts):
            positions = _simulate(threshold, puts, removed)
            if positions is not None:
                rebuild = _rebuild(tuple(puts[i] for i in positions), tuple(after))
        if len(_PLANS) >= _CACHE_LIMIT:
            _PLANS.clear()
        _PLANS[plan_key] = rebuild
    if plan:
        return rebuild
    return after if rebuild is None else rebuild(after)


def java_copied(before: tuple[Any, ...], after: dict[Any, Any]) -> dict[Any, Any]:
    """`after` in the iteration order of `new HashMap<>(map)` of a map with the keys `before` (in its
    iteration order), after putting the keys of `after` that `before` lacks (in `after`'s order) and
    removing those of `before` that `after` lacks: what Kafka's InsertField, Cast, MaskField,
    TimestampConverter and HeaderFrom build from a schemaless map. Keys are put or removed, not both
    (so the same number of keys means the same keys)."""
    if len(after) == len(before):  # only values changed (a copy adds keys or removes them, never both)
        same = _SAME_KEYS[java_numbers.legacy_to_string]
        rebuild = same.get(before, _UNKNOWN)
        if rebuild is _UNKNOWN:
            if len(same) >= _CACHE_LIMIT:
                same.clear()
            same[before] = rebuild = _planned(("copy", not java_numbers.legacy_to_string, before, before),
                                              copy_capacity(len(before)), before, frozenset(), after, plan=True)
        return after if rebuild is None else rebuild(after)
    current = tuple(after)
    plan_key = ("copy", not java_numbers.legacy_to_string, before, current)
    rebuild = _PLANS.get(plan_key, _UNKNOWN)
    if rebuild is not _UNKNOWN:
        return after if rebuild is None else rebuild(after)
    known = set(before)
    puts = before + tuple(k for k in current if k not in known)
    return _planned(plan_key, copy_capacity(len(before)), puts, frozenset(before).difference(current), after)


def java_sized(capacity: int, after: dict[Any, Any]) -> dict[Any, Any]:
    """`after` in the iteration order of `new HashMap<>(capacity)` after putting its keys in its order
    (ReplaceField: the size of the map it replaces; ValueToKey: the number of fields)."""
    current = tuple(after)
    plan_key = ("sized", capacity, current)
    rebuild = _PLANS.get(plan_key, _UNKNOWN)
    if rebuild is not _UNKNOWN:
        return after if rebuild is None else rebuild(after)
    return _planned(plan_key, _table_size_for(capacity), current, frozenset(), after)
