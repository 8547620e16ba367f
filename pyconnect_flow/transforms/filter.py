"""Filter: drop every record; meant to be used with a predicate.

As Kafka's `org.apache.kafka.connect.transforms.Filter`. On its own it drops
everything; with `transforms.<alias>.predicate` (or `when(predicate, Filter())`)
it drops the records the predicate matches (or, negated, those it does not)::

    when(TopicNameMatches(pattern="tmp-.*"), Filter())

On a batch of decoded Kafka columns (`transforms.columns`) it leaves no message, as it leaves no record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pyconnect_flow.config.definition import ConfigDef
from pyconnect_flow.record import Record
from pyconnect_flow.transforms.base import Transform
from pyconnect_flow.transforms.util import ConfiguredTransform

if TYPE_CHECKING:
    from pyconnect_flow.kafka_columns import DecodedColumns

__all__ = ["TRANSFORMS", "Filter"]


class Filter(ConfiguredTransform):
    """Drops all records, filtering them from subsequent transformations in the chain."""

    KAFKA_NAME = "Filter"
    CONFIG = ConfigDef()

    def _configure(self, values: Mapping[str, Any]) -> None:
        pass

    def __call__(self, record: Record) -> None:
        return None

    def transform_columns(self, columns: DecodedColumns) -> DecodedColumns:
        """No message of the batch (the columnar form: `transforms.columns`)."""
        return columns.take([])


TRANSFORMS: dict[str, type[Transform]] = {"Filter": Filter}
