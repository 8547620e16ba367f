"""Random chains of Kafka's 16 SMTs and 3 predicates, as connector config keys.

A chain is built step by step from a rough idea of what the record looks like so far (a string value with
a schema, a struct, a schemaless map; a key or none; headers), so most steps do something, and now and
then a step that does not fit, so errors are compared too (with ``errors.tolerance=all`` a record that fails
is dropped, and must be dropped by both). Every transform may get a predicate, negated or not.

Field names and values come from small pools shared with the input records, so steps meet each other's
fields.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

T = "org.apache.kafka.connect.transforms."
P = "org.apache.kafka.connect.transforms.predicates."

FIELDS = ["line", "id", "name", "amount", "ts", "tags", "nested", "flag", "when", "a", "b", "n"]
NEW_FIELDS = ["src", "topic", "part", "off", "time", "s", "moved", "x"]
TYPES = ["int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string"]
FORMATS = ["yyyy-MM-dd", "yyyyMMdd", "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "HH:mm:ss", "dd/MM/yyyy HH:mm", "EEE, d MMM yyyy",
           "yyyy-MM-dd HH:mm:ss.SSS", "''yy''", "D w u", "MMMM", "a h:mm"]
LITERALS = ["1", "300", "-129", "1.50", "true", "x y", "2024-01-02", "12:34:56.789", "[1,2]", "{\"a\":1}", "",
            "\U0001F600", "1e300", "2024-01-02T03:04:05.006Z"]


#: The SMTs with a ``replace.null.with.default`` key (KIP-1040); the others ignore it in Kafka Connect and
#: refuse it in pyconnect-flow (docs/kafka-connect-differences.md).
NULL_DEFAULT_SMTS = {"Cast", "ExtractField", "HeaderFrom", "InsertField", "MaskField", "ReplaceField",
                     "SetSchemaMetadata", "TimestampConverter", "ValueToKey"}


@dataclass
class Shape:
    """What the record probably looks like at this point of the chain."""

    value: str = "string"  # "string" (with schema), "struct", "map" (schemaless), "other", "null"
    value_fields: list[str] = field(default_factory=list)
    key: str = "null"  # same kinds
    key_fields: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)


class ChainBuilder:
    """Builds one connector's ``transforms``/``predicates`` keys."""

    def __init__(self, rnd: random.Random, shape: Shape, sink: bool) -> None:
        self.rnd = rnd
        self.shape = shape
        self.sink = sink  # a sink connector's records have offsets, partitions, timestamps
        self.config: dict[str, Any] = {}
        self.aliases: list[str] = []
        self.predicates: list[str] = []

    def pick_fields(self, fields: list[str], count: int | None = None) -> list[str]:
        pool = fields if fields and self.rnd.random() < 0.85 else FIELDS
        k = count or self.rnd.randint(1, min(3, len(pool)))
        return self.rnd.sample(pool, min(k, len(pool)))

    def one(self, names: list[str]) -> str:
        return self.rnd.choice(names) if names and self.rnd.random() < 0.85 else self.rnd.choice(FIELDS + NEW_FIELDS)

    def side(self) -> str:
        """$Key or $Value: mostly where the data is."""
        if self.shape.key in ("struct", "map") and self.rnd.random() < 0.4:
            return "Key"
        return "Value" if self.rnd.random() < 0.85 else "Key"

    def fields_of(self, side: str) -> list[str]:
        return self.shape.value_fields if side == "Value" else self.shape.key_fields

    def kind_of(self, side: str) -> str:
        return self.shape.value if side == "Value" else self.shape.key

    def set_kind(self, side: str, kind: str, fields: list[str] | None = None) -> None:
        if side == "Value":
            self.shape.value, self.shape.value_fields = kind, list(fields or [])
        else:
            self.shape.key, self.shape.key_fields = kind, list(fields or [])

    def add(self, smt: str, props: dict[str, Any]) -> None:
        alias = f"t{len(self.aliases)}"
        self.aliases.append(alias)
        self.config[f"transforms.{alias}.type"] = T + smt
        for key, value in props.items():
            self.config[f"transforms.{alias}.{key}"] = value
        if self.rnd.random() < 0.15 or smt == "Filter":
            self.config[f"transforms.{alias}.predicate"] = self.predicate()
            if self.rnd.random() < 0.4:
                self.config[f"transforms.{alias}.negate"] = self.rnd.choice(("true", "false"))
        if self.rnd.random() < 0.1 and smt.split("$")[0] in NULL_DEFAULT_SMTS:
            self.config[f"transforms.{alias}.replace.null.with.default"] = self.rnd.choice(("true", "false"))

    def predicate(self) -> str:
        name = f"p{len(self.predicates)}"
        self.predicates.append(name)
        kind = self.rnd.choice(("TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"))
        self.config[f"predicates.{name}.type"] = P + kind
        if kind == "TopicNameMatches":
            self.config[f"predicates.{name}.pattern"] = self.rnd.choice(("{side}Q7.*", ".*-r", "nomatch", ".*"))
        elif kind == "HasHeaderKey":
            self.config[f"predicates.{name}.name"] = self.one(self.shape.headers or ["h0", "h1"])
        return name

    # -- the steps --------------------------------------------------------------------------------

    def step(self) -> None:
        s = self.shape
        rnd = self.rnd
        choices = ["InsertField", "ReplaceField", "MaskField", "ValueToKey", "HoistField", "ExtractField",
                   "SetSchemaMetadata", "TimestampRouter", "RegexRouter", "Flatten", "Cast", "TimestampConverter",
                   "Filter", "InsertHeader", "DropHeaders", "HeaderFrom"]
        if s.value in ("string", "other") and rnd.random() < 0.6:
            smt = rnd.choice(["HoistField", "Cast", "TimestampConverter", "InsertHeader", "SetSchemaMetadata"])
        else:
            smt = rnd.choice(choices)
        getattr(self, "_" + smt.lower())()

    def _insertfield(self) -> None:
        side = self.side()
        props: dict[str, Any] = {}
        added = []
        for key in ("topic.field", "partition.field", "offset.field", "timestamp.field", "static.field"):
            if key == "timestamp.field" and not self.sink:
                continue  # a source record's timestamp is the time it was read: not the same on both sides
            if self.rnd.random() < (0.45 if key != "offset.field" or self.sink else 0.1):
                name = self.rnd.choice(NEW_FIELDS) + self.rnd.choice(("", "", "", "!", "?"))
                props[key] = name
                added.append(name.rstrip("!?"))
        if "static.field" in props:
            props["static.value"] = self.rnd.choice(LITERALS)
        if not props:
            props["static.field"], props["static.value"] = "src", "file"
            added.append("src")
        self.add(f"InsertField${side}", props)
        if self.kind_of(side) in ("struct", "map"):
            self.fields_of(side).extend(n for n in added if n not in self.fields_of(side))

    def _replacefield(self) -> None:
        side = self.side()
        fields = self.fields_of(side)
        props: dict[str, Any] = {}
        roll = self.rnd.random()
        if roll < 0.35:
            props["exclude"] = ",".join(self.pick_fields(fields))
        elif roll < 0.6:
            props["include"] = ",".join(self.pick_fields(fields))
        if roll > 0.5 or not props:
            renamed = self.pick_fields(fields, 1)
            props["renames"] = ",".join(f"{f}:{self.rnd.choice(NEW_FIELDS)}" for f in renamed)
        self.add(f"ReplaceField${side}", props)
        names = [f for f in fields if f not in props.get("exclude", "").split(",")]
        if "include" in props:
            names = [f for f in names if f in props["include"].split(",")]
        for rename in props.get("renames", "").split(","):
            if ":" in rename:
                old, new = rename.split(":")
                names = [new if f == old else f for f in names]
        if self.kind_of(side) in ("struct", "map"):
            self.set_kind(side, self.kind_of(side), names)

    def _maskfield(self) -> None:
        side = self.side()
        props: dict[str, Any] = {"fields": ",".join(self.pick_fields(self.fields_of(side)))}
        if self.rnd.random() < 0.5:
            props["replacement"] = self.rnd.choice(("***", "0", "-1", "1.5", "true", "2024-01-02", "x"))
        self.add(f"MaskField${side}", props)

    def _valuetokey(self) -> None:
        fields = self.pick_fields(self.shape.value_fields)
        self.add("ValueToKey", {"fields": ",".join(fields)})
        self.set_kind("Key", "struct" if self.shape.value == "struct" else "map", fields)

    def _hoistfield(self) -> None:
        side = "Value" if self.shape.value in ("string", "other") and self.rnd.random() < 0.8 else self.side()
        name = self.rnd.choice(FIELDS[:4] + NEW_FIELDS[:3])
        self.add(f"HoistField${side}", {"field": name})
        kind = self.kind_of(side)
        with_schema = kind in ("string", "struct") or (kind == "null" and side == "Value" and not self.sink)
        self.set_kind(side, "struct" if with_schema else "map", [name])

    def _extractfield(self) -> None:
        side = self.side()
        fields = self.fields_of(side)
        name = self.one(fields)
        props: dict[str, Any] = {"field": name}
        if self.rnd.random() < 0.2:
            props["field.syntax.version"] = "V2"
            if self.rnd.random() < 0.5:
                props["field"] = name + "." + self.rnd.choice(FIELDS)
        self.add(f"ExtractField${side}", props)
        self.set_kind(side, "other")

    def _setschemametadata(self) -> None:
        side = self.side()
        props: dict[str, Any] = {}
        if self.rnd.random() < 0.7:
            props["schema.name"] = self.rnd.choice(("com.example.Rec", "x", "a.b.C\U0001F600"))
        if self.rnd.random() < 0.5 or not props:
            props["schema.version"] = self.rnd.randint(0, 3)
        self.add(f"SetSchemaMetadata${side}", props)

    def _timestamprouter(self) -> None:
        props: dict[str, Any] = {}
        if not self.sink:  # the time of reading would be in the topic name: keep the topic
            props["topic.format"] = "${topic}"
        elif self.rnd.random() < 0.7:
            props["topic.format"] = self.rnd.choice(("${topic}-${timestamp}", "${topic}", "x-${timestamp}-${topic}"))
        if self.rnd.random() < 0.7:
            props["timestamp.format"] = self.rnd.choice(FORMATS)
        self.add("TimestampRouter", props)

    def _regexrouter(self) -> None:
        regex, replacement = self.rnd.choice((("(.*)", "$1-r"), ("(.*)Q7(.*)", "$1Q7$2-r"), ("nomatch", "x"),
                                              ("(.*)", "$1")))
        self.add("RegexRouter", {"regex": regex, "replacement": replacement})

    def _flatten(self) -> None:
        side = self.side()
        props = {"delimiter": self.rnd.choice((".", "_", "->"))} if self.rnd.random() < 0.5 else {}
        self.add(f"Flatten${side}", props)

    def _cast(self) -> None:
        side = self.side()
        kind = self.kind_of(side)
        if kind in ("string", "other") or self.rnd.random() < 0.15:
            spec = self.rnd.choice(TYPES)
            self.set_kind(side, "other")
        else:
            spec = ",".join(f"{f}:{self.rnd.choice(TYPES)}" for f in self.pick_fields(self.fields_of(side)))
        self.add(f"Cast${side}", {"spec": spec})

    def _timestampconverter(self) -> None:
        side = self.side()
        target = self.rnd.choice(("string", "unix", "Date", "Time", "Timestamp"))
        props: dict[str, Any] = {"target.type": target}
        if self.kind_of(side) in ("struct", "map") and self.rnd.random() < 0.8:
            props["field"] = self.one(self.fields_of(side))
        if target == "string" or self.rnd.random() < 0.5:
            props["format"] = self.rnd.choice(FORMATS)
        if self.rnd.random() < 0.4:
            props["unix.precision"] = self.rnd.choice(("seconds", "milliseconds", "microseconds", "nanoseconds"))
        self.add(f"TimestampConverter${side}", props)
        if "field" not in props:
            self.set_kind(side, "other")

    def _filter(self) -> None:
        self.add("Filter", {})

    def _insertheader(self) -> None:
        name = self.rnd.choice(("h0", "h1", "h2"))
        self.add("InsertHeader", {"header": name, "value.literal": self.rnd.choice(LITERALS)})
        self.shape.headers.append(name)

    def _dropheaders(self) -> None:
        self.add("DropHeaders", {"headers": ",".join(self.rnd.sample(["h0", "h1", "h2", "x"], self.rnd.randint(1, 2)))})

    def _headerfrom(self) -> None:
        side = self.side()
        fields = self.pick_fields(self.fields_of(side))
        headers = [f"h{i}" for i in range(len(fields))]
        operation = self.rnd.choice(("copy", "move"))
        self.add(f"HeaderFrom${side}", {"fields": ",".join(fields), "headers": ",".join(headers),
                                         "operation": operation})
        self.shape.headers.extend(headers)
        if operation == "move":
            self.set_kind(side, self.kind_of(side), [f for f in self.fields_of(side) if f not in fields])

    def build(self, steps: int) -> dict[str, Any]:
        for _ in range(steps):
            self.step()
        self.config["transforms"] = ",".join(self.aliases)
        if self.predicates:
            self.config["predicates"] = ",".join(self.predicates)
        return self.config


def random_chain(rnd: random.Random, shape: Shape, sink: bool) -> dict[str, Any]:
    """The transforms (and predicates) keys of one connector."""
    builder = ChainBuilder(rnd, shape, sink)
    if shape.value == "string" and rnd.random() < 0.7:
        builder._hoistfield()
    return builder.build(rnd.randint(1, 5))


KEY_CONVERTERS = [
    {"key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "true"},
    {"key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false"},
    {"key.converter": "org.apache.kafka.connect.storage.StringConverter"},
]
VALUE_CONVERTERS = [
    {"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true"},
    {"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false"},
    {"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true",
     "value.converter.decimal.format": "NUMERIC"},
    {"value.converter": "org.apache.kafka.connect.storage.StringConverter"},
]
HEADER_CONVERTERS = [
    {},  # SimpleHeaderConverter
    {"header.converter": "org.apache.kafka.connect.storage.SimpleHeaderConverter"},
    {"header.converter": "org.apache.kafka.connect.storage.StringConverter"},
    {"header.converter": "org.apache.kafka.connect.json.JsonConverter", "header.converter.schemas.enable": "true"},
    {"header.converter": "org.apache.kafka.connect.json.JsonConverter", "header.converter.schemas.enable": "false"},
    {"header.converter": "org.apache.kafka.connect.converters.ByteArrayConverter"},
]


def random_converters(rnd: random.Random, sink: bool) -> dict[str, Any]:
    """Converter settings of one connector (a sink reads its input with JsonConverter as written)."""
    if sink:
        return dict(rnd.choice(HEADER_CONVERTERS))
    return {**rnd.choice(KEY_CONVERTERS), **rnd.choice(VALUE_CONVERTERS), **rnd.choice(HEADER_CONVERTERS)}


SOURCE_LINES = ["42", "-7", "3.5", "1e300", "0", "2147483648", "-129", "true", "TRUE", "2023-11-14",
                "2023-11-14T10:20:30.400Z", "12:30:00.000Z", "1700000000000", "hello", "", "a,b",
                "\u00e9\U0001F600", "{\"a\":1}", "[1,2]", "NaN", "1.0E7", "0.001", "2.82879384806159E17"]
