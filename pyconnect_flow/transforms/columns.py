"""Columnar forms of SMTs: a transform applied to a batch of decoded Kafka columns without a record per message.

A transform may offer `transform_columns(columns) -> DecodedColumns | None`: the same messages with the values,
schema and failures the record path gives them, or None when it cannot say so for this batch (then the batch
takes the record path, which applies the transform record by record, as always). A chain has a columnar form
when every one of its stages has one. Today: `InsertField$Value` (topic, partition, offset, timestamp and
static fields), `ReplaceField$Value` (without reverse renames), `MaskField$Value`, `Cast$Value` (field casts),
`RegexRouter` and `TimestampRouter`, on flat struct batches (`JsonConverter.to_connect_columns`); `Filter` on
any batch. A stage's result keeps what the decoder guaranteed of such columns (values of their field's exact
Python type, nulls only where optional; `FlatColumns` only for schemas of plain fields, so InsertField's
timestamp field, a `Timestamp`, gives the batch as `Struct` values instead of field columns). The routers keep
a batch columnar when all its records get one topic (RegexRouter always: a batch has one topic;
TimestampRouter when every timestamp falls in one bucket of its format, e.g. one day): `DecodedColumns.topic`
is then the new topic.

A stage with a predicate (`transforms.<name>.predicate`, `when`) has a columnar form when its predicate has
`test_columns` (`TopicNameMatches`, `HasHeaderKey`, `RecordIsTombstone`) and its transform has one: the
transform applies to the whole batch, to none of it, or, for a `Filter`, takes out the messages it applies
to (`DecodedColumns.take`). A transform that applies to some messages only sends the batch the record path.
A batch left without messages stays so through the later stages (the sink gets no records and the positions
move past the batch, as when the record path drops every record).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import compress
from operator import not_
from typing import Any

from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.transforms.chain import Chain, Conditional
from pyconnect_flow.transforms.filter import Filter

ColumnsForm = Callable[[DecodedColumns], "DecodedColumns | None"]


def columns_form(transform: Any) -> ColumnsForm | None:
    """The columnar form of `transform` (a chain or one SMT), or None when some stage has none."""
    stages = transform.stages if isinstance(transform, Chain) else (transform,)
    forms: list[ColumnsForm] = []
    for stage in stages:
        if isinstance(stage, Conditional):
            form = conditional_form(stage)
        else:
            form = getattr(stage, "transform_columns", None)
        if form is None or not callable(form):
            return None
        forms.append(form)

    def apply(columns: DecodedColumns) -> DecodedColumns | None:
        for form in forms:
            if not len(columns):
                return columns  # every message was filtered out: the later stages have nothing to do
            out = form(columns)
            if out is None:
                return None
            columns = out
        return columns

    return apply


def conditional_form(stage: Conditional) -> ColumnsForm | None:
    """The columnar form of a transform behind a predicate (Kafka's `TransformationStage`), or None when the
    predicate cannot answer for columns or the transform has no columnar form."""
    test = getattr(stage.predicate, "test_columns", None)
    form = columns_form(stage.transform)
    if test is None or form is None:
        return None
    negate, drops = stage.negate, isinstance(stage.transform, Filter)

    def apply(columns: DecodedColumns) -> DecodedColumns | None:
        matched = test(columns)
        if isinstance(matched, bool):
            return form(columns) if matched != negate else columns
        # the messages the transform passes over
        kept = list(compress(range(len(matched)), matched if negate else map(not_, matched)))
        if len(kept) == len(matched):
            return columns
        if not kept:
            return form(columns)
        # Some messages only: a Filter keeps the others; any other transform would make two batches.
        return columns.take(kept) if drops else None

    return apply
