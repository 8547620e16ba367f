"""Composing transforms: `chain`, `when` and the batch form the dataflow uses.

As Kafka Connect's `TransformationChain` and `TransformationStage`::

    pipeline = chain(
        when(TopicNameMatches(pattern="tmp-.*"), Filter()),        # drop tmp-* topics
        InsertField.value(static_field="origin", static_value="pcf"),
        lambda r: r.replace(topic=r.topic.upper()),              # any Record -> Record | None
    )
    out = pipeline(record)                 # None when a stage dropped the record
    kept = apply_batch(pipeline, records)  # the dropped ones left out

A chain stops at the first stage that returns None. When a stage raises, the
exception gets a `transform` attribute naming that stage's transform (the
error reporter uses it for `__connect.errors.class.name`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import PredicateFn, TransformFn

__all__ = ["Chain", "Conditional", "apply_batch", "chain", "when"]


def _tag(exc: BaseException, transform: Any) -> None:
    if "transform" not in getattr(exc, "__dict__", {"transform": None}):
        try:
            exc.transform = transform  # type: ignore[attr-defined]
        except AttributeError:  # pragma: no cover - exceptions with __slots__
            pass


class Conditional:
    """A transform applied only to records the predicate accepts (or, negated, rejects).

    Kafka's `TransformationStage`: the transform runs iff `negate XOR predicate(record)`;
    other records pass unchanged.
    """

    __slots__ = ("predicate", "transform", "negate", "alias")

    def __init__(self, predicate: PredicateFn, transform: TransformFn, negate: bool = False,
                 alias: str | None = None) -> None:
        self.predicate = predicate
        self.transform = transform
        self.negate = bool(negate)
        self.alias = alias

    def __call__(self, record: Record) -> Record | None:
        try:
            matched = self.predicate(record)
        except Exception as exc:
            _tag(exc, self.predicate)
            raise
        if (not matched) if self.negate else matched:
            try:
                return self.transform(record)
            except Exception as exc:
                _tag(exc, self.transform)
                raise
        return record

    def __repr__(self) -> str:
        negate = ", negate=True" if self.negate else ""
        return f"when({self.predicate!r}, {self.transform!r}{negate})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Conditional):
            return NotImplemented
        return (self.predicate, self.transform, self.negate) == (other.predicate, other.transform, other.negate)

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.predicate, self.transform, self.negate, self.alias)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.predicate, self.transform, self.negate, self.alias = state


def when(predicate: PredicateFn, transform: TransformFn, negate: bool = False) -> Conditional:
    """`transform` applied only when `predicate(record)` is true (false when `negate`)."""
    if not callable(predicate):
        raise TypeError(f"predicate must be callable, got {predicate!r}")
    if not callable(transform):
        raise TypeError(f"transform must be callable, got {transform!r}")
    return Conditional(predicate, transform, negate)


class Chain:
    """Transforms applied in order; the first None drops the record (Kafka's `TransformationChain`).

    A chain is itself a transform (`Record -> Record | None`), picklable when its stages are.
    Its length is the number of stages, so an empty chain is falsy.
    """

    __slots__ = ("stages", "aliases", "_run")

    def __init__(self, stages: Iterable[TransformFn] = (), aliases: Iterable[str] | None = None) -> None:
        self.stages: tuple[TransformFn, ...] = tuple(stages)
        self.aliases: tuple[str, ...] | None = tuple(aliases) if aliases is not None else None
        if self.aliases is not None and len(self.aliases) != len(self.stages):
            raise ValueError("one alias per stage")
        self._run = _fuse(self.stages)

    def __call__(self, record: Record) -> Record | None:
        for stage in self._run:
            try:
                record = stage(record)  # type: ignore[assignment]
            except Exception as exc:
                _tag(exc, stage)
                raise
            if record is None:
                return None
        return record

    def __len__(self) -> int:
        return len(self.stages)

    def __iter__(self) -> Iterator[TransformFn]:
        return iter(self.stages)

    def __repr__(self) -> str:
        return "chain(" + ", ".join(repr(s) for s in self.stages) + ")"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Chain):
            return NotImplemented
        return self.stages == other.stages

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.stages, self.aliases)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.stages, self.aliases = state
        self._run = _fuse(self.stages)


def _fusable(stage: Any) -> bool:
    return getattr(stage, "TARGET", None) == "value" and getattr(stage, "fusable_map", False) is True


def _fuse(stages: tuple[TransformFn, ...]) -> tuple[TransformFn, ...]:
    """The stages to run, with each run of consecutive map-updating value SMTs made one `_FusedMapStages`."""
    run: list[TransformFn] = []
    group: list[Any] = []
    for stage in (*stages, None):
        if stage is not None and _fusable(stage):
            group.append(stage)
            continue
        if len(group) > 1:
            run.append(_FusedMapStages(tuple(group)))
        else:
            run.extend(group)
        group = []
        if stage is not None:
            run.append(stage)
    return tuple(run)


class _FusedMapStages:
    """Consecutive value SMTs (InsertField, ReplaceField, Cast, MaskField) applied to a schemaless map
    with one copy of the map and one new record, instead of one of each per SMT.

    The result is the same as running the stages one by one (which is what happens for any value
    that is not a plain dict without schema); failures are tagged with the stage that raised.
    """

    __slots__ = ("stages", "updates")

    def __init__(self, stages: tuple[Any, ...]) -> None:
        self.stages = stages
        self.updates = tuple(s.map_update for s in stages)

    def __call__(self, record: Record) -> Record | None:
        value = record[2]
        if record[6] is not None or type(value) is not dict:
            for stage in self.stages:
                try:
                    record = stage(record)
                except Exception as exc:
                    _tag(exc, stage)
                    raise
                if record is None:
                    return None
            return record
        updated = dict(value)
        i = 0
        try:
            for i, update in enumerate(self.updates):  # noqa: B007 - i names the failing stage
                updated = update(record, updated)
        except Exception as exc:
            _tag(exc, self.stages[i])
            raise
        r = record
        return _new_tuple(Record, (r[0], r[1], updated, r[3], r[4], r[5], None, r[7], r[8], r[9], r[10]))

    def __repr__(self) -> str:
        return "fused(" + ", ".join(repr(s) for s in self.stages) + ")"


_new_tuple = tuple.__new__


def chain(*transforms: TransformFn) -> Chain:
    """One transform running `transforms` in order, stopping at the first None.

    Nested chains are flattened; `chain()` passes every record through unchanged.
    """
    stages: list[TransformFn] = []
    for t in transforms:
        if isinstance(t, Chain):
            stages.extend(t.stages)
        elif callable(t):
            stages.append(t)
        else:
            raise TypeError(f"a transform must be callable (Record -> Record | None), got {t!r}")
    return Chain(stages)


def apply_batch(
    transform: TransformFn,
    records: Iterable[Record],
    on_error: Callable[[Record, Exception], Any] | None = None,
) -> list[Record]:
    """`transform` applied to each record, in order, without the records it dropped.

    With `on_error`, a record whose transform raises is handed to `on_error(record, exc)`
    and left out; without it the exception propagates.
    """
    out: list[Record] = []
    append = out.append
    if on_error is None:
        for record in records:
            result = transform(record)
            if result is not None:
                append(result)
        return out
    for record in records:
        try:
            result = transform(record)
        except Exception as exc:
            on_error(record, exc)
            continue
        if result is not None:
            append(result)
    return out
