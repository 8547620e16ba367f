"""Connect schemas ⇄ the schema JSON of JsonConverter's envelope (`asJsonSchema`/`asConnectSchema`).

Written key order, which makes the bytes equal to Kafka's: `type`, then `items` (array) or
`keys`,`values` (map) or `fields` (struct), `optional` (always), then `name`, `version`, `doc`,
`parameters`, `default` when set. A struct field entry is the field's schema object with
`"field": <name>` appended last.
"""

from __future__ import annotations

from typing import Any

from pyconnect_flow.converters.json_codec import CodecConfig, compile_decoder, compile_encoder
from pyconnect_flow.data import logical
from pyconnect_flow.data.exceptions import DataException, SchemaBuilderException
from pyconnect_flow.data.schema import Schema, SchemaBuilder, Type

_TYPES = {t.value: t for t in Type}


def schema_to_tree(schema: Schema, cfg: CodecConfig) -> dict[str, Any]:
    """The schema JSON object (as an ordered dict tree) of a Connect schema."""
    tree: dict[str, Any] = {"type": schema.type.value}
    t = schema.type
    if t is Type.ARRAY:
        tree["items"] = _child(schema.value_schema, cfg)
    elif t is Type.MAP:
        tree["keys"] = _child(schema.key_schema, cfg)
        tree["values"] = _child(schema.value_schema, cfg)
    elif t is Type.STRUCT:
        fields = []
        for f in schema.fields or ():
            entry = schema_to_tree(f.schema, cfg)
            entry["field"] = f.name
            fields.append(entry)
        tree["fields"] = fields
    tree["optional"] = schema.optional
    if schema.name is not None:
        tree["name"] = schema.name
    if schema.version is not None:
        tree["version"] = schema.version
    if schema.doc is not None:
        tree["doc"] = schema.doc
    if schema.parameters is not None:
        tree["parameters"] = dict(schema.parameters)
    if schema.default is not None:
        tree["default"] = compile_encoder(schema, cfg)(schema.default)
    return tree


def _child(schema: Schema | None, cfg: CodecConfig) -> Any:
    return None if schema is None else schema_to_tree(schema, cfg)


def tree_to_schema(node: Any, cfg: CodecConfig) -> Schema | None:
    """The Connect schema of a schema JSON node (None for JSON null); DataException if invalid."""
    if node is None:
        return None
    type_name = node.get("type") if isinstance(node, dict) else None
    if not isinstance(type_name, str):
        raise DataException("Schema must contain 'type' field")
    t = _TYPES.get(type_name)
    if t is None:
        raise DataException(f"Unknown schema type: {type_name}")
    builder = _builder(t, node, cfg)

    builder.optional(node.get("optional") is True)
    name = node.get("name")
    if isinstance(name, str):
        builder.name(name)
    version = node.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        builder.version(((version + (1 << 31)) & 0xFFFFFFFF) - (1 << 31))
    doc = node.get("doc")
    if isinstance(doc, str):
        builder.doc(doc)
    params = node.get("parameters")
    if isinstance(params, dict):
        for key, value in params.items():
            if not isinstance(value, str):
                raise DataException("Schema parameters must have string values.")
            builder.parameter(key, value)
    if "default" in node:
        # The default is read with the schema as built so far (no default yet), as Kafka does.
        default = compile_decoder(builder.build(), cfg)(node["default"])
        if default is None and node["default"] is not None and not builder.build().optional:
            # A node of the wrong kind reads as null (Jackson's textValue()/binaryValue()), which
            # SchemaBuilder.defaultValue refuses for a required schema.
            raise SchemaBuilderException("Invalid default value")
        builder.default_value(default)
    try:
        return builder.build()
    except SchemaBuilderException:
        raise
    except DataException as exc:
        raise SchemaBuilderException(f"Invalid default value: {exc}") from exc


def _builder(t: Type, node: dict[str, Any], cfg: CodecConfig) -> SchemaBuilder:
    if t is Type.ARRAY:
        items = node.get("items")
        if items is None:
            raise DataException("Array schema did not specify the element type")
        return SchemaBuilder.array(_required_child(items, cfg, "valueSchema"))
    if t is Type.MAP:
        if "keys" not in node:
            raise DataException("Map schema did not specify the key type")
        if "values" not in node:
            raise DataException("Map schema did not specify the value type")
        return SchemaBuilder.map(_required_child(node["keys"], cfg, "keySchema"),
                                 _required_child(node["values"], cfg, "valueSchema"))
    if t is Type.STRUCT:
        builder = SchemaBuilder.struct()
        fields = node.get("fields")
        if not isinstance(fields, list):
            raise DataException("Struct schema's \"fields\" argument is not an array.")
        for field in fields:
            field_name = field.get("field") if isinstance(field, dict) else None
            if not isinstance(field_name, str):
                raise DataException("Struct schema's field name not specified properly")
            field_schema = tree_to_schema(field, cfg)
            assert field_schema is not None
            builder.field(field_name, field_schema)
        return builder
    return SchemaBuilder(t)


def _required_child(node: Any, cfg: CodecConfig, what: str) -> Schema:
    schema = tree_to_schema(node, cfg)
    if schema is None:
        raise SchemaBuilderException(f"{what} cannot be null.")
    return schema


def has_decimal(schema: Schema | None) -> bool:
    """True if the schema or any schema inside it is the Decimal logical type."""
    if schema is None:
        return False
    if schema.name == logical.DECIMAL_NAME:
        return True
    if schema.type is Type.STRUCT:
        return any(has_decimal(f.schema) for f in schema.fields or ())
    return has_decimal(schema.key_schema) or has_decimal(schema.value_schema)
