"""Moved to `pyconnect_flow.data.java_text` (objects) and `pyconnect_flow.data.java_numbers` (numbers).

Kept only for the modules that still import these names from here (`connectors/file.py`,
`converters/headers.py`, `converters/json_codec.py`); delete it once they import from `data`.
"""

from pyconnect_flow.data.java_numbers import java_bigdecimal_str, java_double_str, java_float_str
from pyconnect_flow.data.java_text import java_class_name, java_to_string

__all__ = ["java_bigdecimal_str", "java_class_name", "java_double_str", "java_float_str", "java_to_string"]
