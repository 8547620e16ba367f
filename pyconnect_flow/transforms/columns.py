"""Columnar forms of SMTs: a transform applied to a batch of decoded Kafka columns without a record per message.

A transform may offer `transform_columns(columns) -> DecodedColumns | None`: the same messages with the values,
schema and failures the record path gives them, or None when it cannot say so for this batch (then the batch
takes the record path, which applies the transform record by record, as always). A chain has a columnar form
when every one of its stages has one and none is conditional (predicates look at records). Today:
`InsertField$Value` (topic, partition, offset and static fields), `ReplaceField$Value` (without reverse renames),
`MaskField$Value`, `Cast$Value` (field casts), `RegexRouter` and `TimestampRouter`, on flat struct batches (`JsonConverter.to_connect_columns`);
a stage's result keeps what the decoder guaranteed of such columns (values of their field's exact Python type,
nulls only where optional). The routers keep a batch columnar when all its records get one topic (RegexRouter
always: a batch has one topic; TimestampRouter when every timestamp falls in one bucket of its format, e.g. one
day): `DecodedColumns.topic` is then the new topic. Not yet: InsertField's timestamp field, Filter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyconnect_flow.kafka_columns import DecodedColumns
from pyconnect_flow.transforms.chain import Chain

ColumnsForm = Callable[[DecodedColumns], "DecodedColumns | None"]


def columns_form(transform: Any) -> ColumnsForm | None:
    """The columnar form of `transform` (a chain or one SMT), or None when some stage has none."""
    stages = transform.stages if isinstance(transform, Chain) else (transform,)
    forms: list[ColumnsForm] = []
    for stage in stages:
        form = getattr(stage, "transform_columns", None)
        if form is None or not callable(form):
            return None
        forms.append(form)

    def apply(columns: DecodedColumns) -> DecodedColumns | None:
        for form in forms:
            out = form(columns)
            if out is None:
                return None
            columns = out
        return columns

    return apply
