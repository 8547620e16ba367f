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
from pyconnect_flow.transforms.base import PredicateFn, TransformFn, tag_failure
from pyconnect_flow.transforms.fused import FusedMapStages, MapUpdater, fusable, routes_topic, run_stages

__all__ = ["Chain", "Conditional", "apply_batch", "chain", "tag_failure", "when"]


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
            tag_failure(exc, self.predicate)
            raise
        if (not matched) if self.negate else matched:
            try:
                return self.transform(record)
            except Exception as exc:
                tag_failure(exc, self.transform)
                raise
        return record

    def __repr__(self) -> str:
        negate = ", negate=True" if self.negate else ""
        return f"when({self.predicate!r}, {self.transform!r}{negate})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Conditional):
            return NotImplemented
        return (self.predicate, self.transform, self.negate) == (other.predicate, other.transform, other.negate)

    # Defining __eq__ without __hash__ leaves instances unhashable, as lists of stages are.

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
        return run_stages(self._run, record)

    def record_function(self) -> TransformFn:
        """The fastest callable doing what calling the chain does (for mapping over many records)."""
        if len(self._run) == 1 and isinstance(self._run[0], FusedMapStages):
            return self._run[0].function
        return self

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

    # Defining __eq__ without __hash__ leaves instances unhashable, as lists of stages are.

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.stages, self.aliases)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.stages, self.aliases = state
        self._run = _fuse(self.stages)


def _fuse(stages: tuple[TransformFn, ...]) -> tuple[TransformFn, ...]:
    """The stages to run: consecutive map-updating value SMTs, with a topic router right after
    them, become one `FusedMapStages` (see `fused`)."""
    run: list[TransformFn] = []
    group: list[MapUpdater] = []
    for stage in (*stages, None):
        if stage is not None and fusable(stage):
            group.append(stage)
            continue
        if group and stage is not None and routes_topic(stage):
            run.append(FusedMapStages(tuple(group), stage))
            group = []
            continue
        if len(group) > 1:
            run.append(FusedMapStages(tuple(group)))
        else:
            run.extend(group)
        group = []
        if stage is not None:
            run.append(stage)
    return tuple(run)


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
