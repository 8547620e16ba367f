"""pyconnect-flow: Kafka Connect's connectors, converters and transforms on Bytewax, without a JVM."""

import sys

from pyconnect_flow.python_version import exit_if_unsupported, too_old, unsupported_message

if too_old():  # the code below does not even parse there: say so plainly
    if sys.argv[:1] == ["-m"]:  # `python -m pyconnect_flow`: the message alone, no traceback
        exit_if_unsupported()
    raise ImportError(unsupported_message())

from pyconnect_flow.data import Schema, SchemaBuilder, Struct, Type  # noqa: E402
from pyconnect_flow.record import Record  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Record", "Schema", "SchemaBuilder", "Struct", "Type", "__version__"]
