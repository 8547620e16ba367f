"""pyconnect-flow: Kafka Connect's connectors, converters and transforms on Bytewax, without a JVM."""

from pyconnect_flow.data import Schema, SchemaBuilder, Struct, Type
from pyconnect_flow.record import Record

__version__ = "0.1.0"

__all__ = ["Record", "Schema", "SchemaBuilder", "Struct", "Type", "__version__"]
