"""The Connect data model: schemas, structs and logical types.

Schemaless values are plain Python values (int, float, bool, str, bytes,
list, dict); values with a schema follow the schema's type, STRUCT values are
`Struct`, and logical types use `decimal.Decimal`, `datetime.date`,
`datetime.time` and `datetime.datetime`.
"""

from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import ConnectException, DataException, SchemaBuilderException
from pyconnect_flow.data.schema import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    OPTIONAL_BOOLEAN_SCHEMA,
    OPTIONAL_BYTES_SCHEMA,
    OPTIONAL_FLOAT32_SCHEMA,
    OPTIONAL_FLOAT64_SCHEMA,
    OPTIONAL_INT8_SCHEMA,
    OPTIONAL_INT16_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    Field,
    Schema,
    SchemaBuilder,
    Type,
)
from pyconnect_flow.data.struct import Struct
from pyconnect_flow.data.values import infer_schema, schema_type, validate_value

__all__ = [
    "BOOLEAN_SCHEMA", "BYTES_SCHEMA", "FLOAT32_SCHEMA", "FLOAT64_SCHEMA", "INT8_SCHEMA",
    "INT16_SCHEMA", "INT32_SCHEMA", "INT64_SCHEMA", "OPTIONAL_BOOLEAN_SCHEMA",
    "OPTIONAL_BYTES_SCHEMA", "OPTIONAL_FLOAT32_SCHEMA", "OPTIONAL_FLOAT64_SCHEMA",
    "OPTIONAL_INT8_SCHEMA", "OPTIONAL_INT16_SCHEMA", "OPTIONAL_INT32_SCHEMA",
    "OPTIONAL_INT64_SCHEMA", "OPTIONAL_STRING_SCHEMA", "STRING_SCHEMA", "ConnectException",
    "DataException", "Field", "Schema", "SchemaBuilder", "SchemaBuilderException", "Struct",
    "Type", "infer_schema", "logical", "schema_type", "validate_value",
]
