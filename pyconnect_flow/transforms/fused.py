"""Consecutive schemaless value SMTs compiled into one Python function per chain.

A chain such as InsertField → ReplaceField → Cast → MaskField → TimestampRouter on a
schemaless map copies the map and builds a new record at every stage. Each of Kafka's stages builds a
new `HashMap` (`new HashMap<>(map)`, or `new HashMap<>(n)` for ReplaceField, `JAVA_MAP = "sized"`), so the
keys are put in that map's iteration order after each stage (`java_hashmap.java_copied`/`java_sized`). `FusedMapStages`
does the same work with one copy of the map and one new record: each fusable stage
(a `MapUpdater` whose `fusable_map` is true) writes the Python lines that update the private
copy `u` of the map (`map_code`, when it is a `MapCodeWriter`, or a call of its `map_update`),
and a `TopicRouter` right after the group (`route_topic`) names the new record's topic. The
lines are compiled once, when the chain is built, into a function without per-stage calls or
per-stage records. These protocols are what an SMT provides to take part; the built-in ones
(InsertField, ReplaceField, Cast, MaskField; TimestampRouter, RegexRouter) implement them.

Only plain `dict` values without a schema take the compiled path. Any other value, and
any record on which the compiled function raises, goes through the stages one by one,
which gives the same result or raises the same error tagged with the failing stage.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar, Protocol, TypeGuard, runtime_checkable

from pyconnect_flow.data import java_numbers
from pyconnect_flow.data.java_hashmap import java_copied, java_sized, rebuild_function
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import tag_failure

__all__ = ["FusedMapStages", "MapCode", "MapCodeWriter", "MapUpdater", "TopicRouter", "fusable", "routes_topic",
           "run_stages"]


@runtime_checkable
class MapUpdater(Protocol):
    """A value SMT that can do its work on a private copy of a schemaless map (so it can be fused).

    It takes part when `TARGET` is "value" and `fusable_map` is true (for this configuration); then
    `map_update(record, u)` must do to `u` what calling the SMT does to the record's map, and return it.
    """

    TARGET: ClassVar[str]

    @property
    def fusable_map(self) -> bool: ...

    def map_update(self, record: Record, updated: dict[str, Any]) -> dict[str, Any]: ...

    def __call__(self, record: Record) -> Record | None: ...


@runtime_checkable
class MapCodeWriter(MapUpdater, Protocol):
    """A `MapUpdater` that writes its usual case as lines of the fused function (faster than a call)."""

    def map_code(self, code: MapCode) -> None: ...


@runtime_checkable
class TopicRouter(Protocol):
    """An SMT that only changes the topic, and says which one with `route_topic(record)` (fused after a map group)."""

    def route_topic(self, record: Record) -> str | None: ...

    def __call__(self, record: Record) -> Record | None: ...


def _same_class(stage: Any, *names: str) -> bool:
    """True when `names` all come from one class of `stage`'s MRO: a subclass that overrides one of them
    (say `__call__` or `map_update`) must not be replaced by the others."""
    owners = {next((c for c in type(stage).__mro__ if name in c.__dict__), None) for name in names}
    return len(owners) == 1 and None not in owners


def fusable(stage: object) -> TypeGuard[MapUpdater]:
    """True when `stage` is a value SMT that can update a schemaless map in place (a `MapUpdater` taking part)."""
    return (isinstance(stage, MapUpdater) and stage.TARGET == "value" and stage.fusable_map is True
            and _same_class(stage, "map_update", "__call__"))


def routes_topic(stage: object) -> TypeGuard[TopicRouter]:
    """True when `stage` only changes the topic, and says which one with `route_topic(record)` (a `TopicRouter`)."""
    return isinstance(stage, TopicRouter) and callable(stage.route_topic) and _same_class(stage, "route_topic", "__call__")


class MapCode:
    """The source of a fused function being written: lines, and the constants they refer to.

    Lines run with `r` (the record as it came in) and `u` (the private copy of its map) in
    scope; `x` and `t` are scratch names. Constants are named `c0`, `c1`, … by `const`.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}

    def const(self, value: Any) -> str:
        """A name the lines can use for `value`."""
        name = f"c{len(self.names)}"
        self.names[name] = value
        return name

    def line(self, text: str) -> None:
        """Add one line of the function body (a statement on `r`, `u`, `x`, `t` and the constants)."""
        self.lines.append(text)

    def call(self, map_update: Callable[[Record, dict[str, Any]], dict[str, Any]]) -> None:
        """A stage without its own lines: call its `map_update`."""
        self.line(f"u = {self.const(map_update)}(r, u)")


def run_stages(stages: tuple[Any, ...], record: Record) -> Record | None:
    """`record` through `stages` in order, stopping at the first None; a failure is tagged with its stage."""
    for stage in stages:
        try:
            record = stage(record)
        except Exception as exc:
            tag_failure(exc, stage)
            raise
        if record is None:
            return None
    return record


def _learn(plans: dict[tuple[Any, ...], Any], key: tuple[Any, ...], ordered: Record | None,
           natural: Record | None) -> Record | None:
    """Remember how to reorder the fast function's map into Kafka's order for records of `key`, from what the
    ordered function (`ordered`) and the unordered one (`natural`) made of one such record; return `ordered`."""
    if (ordered is None or natural is None or type(ordered[2]) is not dict or type(natural[2]) is not dict
            or ordered[2].keys() != natural[2].keys()):
        return ordered  # filtered, or not a map: no plan; the ordered function runs again next time
    if len(plans) >= _PLAN_LIMIT:
        plans.clear()
    plans[key] = rebuild_function(tuple(ordered[2]), tuple(natural[2])) or True
    return ordered


_PLAN_LIMIT = 8192


class FusedMapStages:
    """Map-updating value SMTs (and an optional topic router after them) run as one function.

    Calling it gives what running `stages` (then `router`) one by one gives.
    """

    __slots__ = ("stages", "router", "function", "source")

    def __init__(self, stages: tuple[MapUpdater, ...], router: TopicRouter | None = None) -> None:
        self.stages = stages
        self.router = router
        everything = (*stages, router) if router is not None else stages
        slow = partial(run_stages, everything)
        # Written twice: with the key order of Kafka's HashMaps worked out after every stage, and without.
        # The keys a record ends with, and their order, follow from the keys it came with and whether it
        # has a partition and a timestamp (InsertField's only conditions), so the fast one reorders once,
        # by a plan the ordered one made for the first record of that kind.
        plans: dict[tuple[Any, ...], Any] = {}
        functions: dict[str, Any] = {}
        for kind in ("ordered", "unordered", "fast"):
            source, names = self._write(stages, router, slow, kind)
            namespace: dict[str, Any] = {**names, "NEW": tuple.__new__, "RECORD": Record, "PLANS": plans,
                                         "NUMBERS": java_numbers, "LEARN": partial(_learn, plans), **functions}
            exec(compile(source, f"<fused {kind} {self!r}>", "exec"), namespace)  # noqa: S102 - our own code
            functions[kind.upper()] = namespace["fused"]
        self.source = source
        # Renaming onto a name already taken keeps the value that comes last in the map's order: then the
        # values depend on the order, and every record takes the ordered function.
        sensitive = any(getattr(stage, "order_sensitive", False) for stage in stages)
        self.function: Callable[[Record], Record | None] = functions["ORDERED" if sensitive else "FAST"]

    @staticmethod
    def _write(stages: tuple[Any, ...], router: Any, slow: Any, kind: str) -> tuple[str, dict[str, Any]]:
        ordered = kind == "ordered"
        code = MapCode()
        copied, sized = code.const(java_copied), code.const(java_sized)
        for stage in stages:
            if ordered:
                code.line("b = tuple(u)")
            write = getattr(stage, "map_code", None) if _same_class(stage, "map_code", "map_update") else None
            if write is None:
                code.call(stage.map_update)
            else:
                write(code)
            # Each of Kafka's stages builds a new HashMap, whose key order is the one a record carries on
            if ordered:
                if getattr(stage, "JAVA_MAP", "copy") == "sized":
                    code.line(f"u = {sized}(len(b), u)")
                else:
                    code.line(f"u = {copied}(b, u)")
        slow_name = code.const(slow)
        topic = f"{code.const(router.route_topic)}(r)" if router is not None else "r[0]"
        body = "\n".join("        " + line for line in code.lines)
        if kind != "fast":
            head, tail = "", ""
        else:
            head = ("    k = (tuple(v), r[3] is None, r[8] is None, NUMBERS.legacy_to_string)\n"
                    "    plan = PLANS.get(k)\n"
                    "    if plan is None:\n"
                    "        return LEARN(k, ORDERED(r), UNORDERED(r))\n")
            tail = "        if plan is not True: u = plan(u)\n"
        source = (
            "def fused(r):\n"
            "    v = r[2]\n"
            "    if r[6] is not None or type(v) is not dict:\n"
            f"        return {slow_name}(r)\n"
            + head +
            "    try:\n"
            "        u = dict(v)\n"
            f"{body}\n"
            + tail +
            f"        topic = {topic}\n"
            "    except Exception:\n"
            f"        return {slow_name}(r)\n"
            "    return NEW(RECORD, (topic, r[1], u, r[3], r[4], r[5], None, r[7], r[8], r[9], r[10]))\n"
        )
        return source, code.names

    def __call__(self, record: Record) -> Record | None:
        return self.function(record)

    def __repr__(self) -> str:
        parts = [repr(s) for s in self.stages] + ([repr(self.router)] if self.router is not None else [])
        return "fused(" + ", ".join(parts) + ")"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FusedMapStages, (self.stages, self.router))
