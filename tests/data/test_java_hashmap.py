"""Java `HashMap` iteration order, checked against vectors recorded from OpenJDK 17 (the same on OpenJDK 25)."""

from __future__ import annotations

import json
from pathlib import Path

from pyconnect_flow.data.java_hashmap import java_map_order, java_ordered, java_string_hash

VECTORS = json.loads((Path(__file__).parent / "java_hashmap_orders.json").read_text(encoding="utf-8"))["cases"]


def test_string_hash_is_javas() -> None:
    # "Aa" and "BB" collide in Java; "" is 0; code units, not code points, for characters beyond the BMP
    assert java_string_hash("Aa") == java_string_hash("BB") == 2112
    assert java_string_hash("") == 0
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("😀") == (0xD83D * 31 + 0xDE00) & 0xFFFFFFFF


def test_iteration_order_matches_java_for_every_recorded_map() -> None:
    modelled = 0
    for case in VECTORS:
        order = java_map_order(tuple(case["put"]))
        if order is None:  # a tree bin (9+ colliding keys in a table of 64+ buckets): not modelled
            continue
        modelled += 1
        assert list(order) == case["iteration"], case["put"]
    assert modelled > 350


def test_decoded_trees_are_reordered_at_every_depth() -> None:
    tree = {"id": 1, "amount": 2, "qty": 3, "email": 4, "secret": 5, "note": [{"id": 1, "note": 2}, 7]}
    ordered = java_ordered(tree)
    assert list(ordered) == ["note", "amount", "qty", "id", "secret", "email"]
    assert list(ordered["note"][0]) == ["note", "id"]
    assert ordered == tree
