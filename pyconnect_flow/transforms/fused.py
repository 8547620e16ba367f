"""Consecutive schemaless value SMTs compiled into one Python function per chain.

A chain such as InsertField → ReplaceField → Cast → MaskField → TimestampRouter on a
schemaless map copies the map and builds a new record at every stage. `FusedMapStages`
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

from pyconnect_flow.record import Record, new_record
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


class FusedMapStages:
    """Map-updating value SMTs (and an optional topic router after them) run as one function.

    Calling it gives what running `stages` (then `router`) one by one gives.
    """

    __slots__ = ("stages", "router", "function", "source")

    def __init__(self, stages: tuple[MapUpdater, ...], router: TopicRouter | None = None) -> None:
        self.stages = stages
        self.router = router
        everything: tuple[Callable[[Record], Record | None], ...] = (*stages, router) if router is not None else stages
        code = MapCode()
        for stage in stages:
            if isinstance(stage, MapCodeWriter) and _same_class(stage, "map_code", "map_update"):
                stage.map_code(code)
            else:
                code.call(stage.map_update)
        slow = code.const(partial(run_stages, everything))
        topic = f"{code.const(router.route_topic)}(r)" if router is not None else "r[0]"
        body = "\n".join("        " + line for line in code.lines)
        self.source = (
            "def fused(r):\n"
            "    v = r[2]\n"
            "    if r[6] is not None or type(v) is not dict:\n"
            f"        return {slow}(r)\n"
            "    try:\n"
            "        u = dict(v)\n"
            f"{body}\n"
            f"        topic = {topic}\n"
            "    except Exception:\n"
            f"        return {slow}(r)\n"
            "    return new_record((topic, r[1], u, r[3], r[4], r[5], None, r[7], r[8], r[9], r[10]))\n"
        )
        namespace: dict[str, Any] = {**code.names, "new_record": new_record}
        exec(compile(self.source, f"<fused {self!r}>", "exec"), namespace)  # noqa: S102 - our own generated code
        self.function: Callable[[Record], Record | None] = namespace["fused"]

    def __call__(self, record: Record) -> Record | None:
        return self.function(record)

    def __repr__(self) -> str:
        parts = [repr(s) for s in self.stages] + ([repr(self.router)] if self.router is not None else [])
        return "fused(" + ", ".join(parts) + ")"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FusedMapStages, (self.stages, self.router))
