"""Protobuf schemas registered as `.proto` text, as Java's serializers register them, turned into descriptors.

confluent-kafka's Python serializer registers a schema as a base64 `FileDescriptorProto`; Java's registers the
`.proto` text. Confluent's registry parses both, so it can check either for compatibility and serve either
`?format=serialized`. Python has no `.proto` parser of its own: this module compiles the text with `protoc`
from `grpcio-tools` (the `protobuf` extra), run as a child process, its imports given by the schema's
references (each as text or serialized). Results are cached by their inputs.
"""

from __future__ import annotations

import base64
import binascii
import functools
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MAIN_FILE = "default"
"""The name Confluent's registry gives a `.proto` text schema's own file."""

_TIMEOUT_S = 60.0


class ProtoTextError(ValueError):
    """A `.proto` text that does not compile; the message is protoc's."""


def is_serialized(text: str) -> bool:
    """Whether a Protobuf schema is a base64 `FileDescriptorProto` (what confluent-kafka registers)."""
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def serialized(text: str, references: Mapping[str, str] | None = None) -> str:
    """The base64 `FileDescriptorProto` of a schema given either way; `references` maps each import name to
    its schema (either way). ProtoTextError when the text does not compile."""
    if is_serialized(text):
        return text
    return _compiled(text, tuple(sorted((references or {}).items())))


@functools.lru_cache(maxsize=256)
def _compiled(text: str, references: tuple[tuple[str, str], ...]) -> str:
    from google.protobuf import descriptor_pb2

    with tempfile.TemporaryDirectory(prefix="pyconnect-flow-proto-") as work:
        root = Path(work)
        given = descriptor_pb2.FileDescriptorSet()
        for name, schema in references:
            if is_serialized(schema):
                file = given.file.add()
                file.ParseFromString(base64.b64decode(schema))
                file.name = name
            else:
                path = root / "src" / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(schema, encoding="utf-8")
        (root / "src").mkdir(exist_ok=True)
        (root / "src" / MAIN_FILE).write_text(text, encoding="utf-8")
        out = root / "out.pb"
        command = [sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={root / 'src'}",
                   f"--proto_path={_well_known_types()}", f"--descriptor_set_out={out}"]
        if given.file:
            (root / "given.pb").write_bytes(given.SerializeToString())
            command.append(f"--descriptor_set_in={root / 'given.pb'}")
        command.append(MAIN_FILE)
        try:
            done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ProtoTextError(f"protoc could not run: {exc}") from None
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip().replace(str(root / "src") + "/", "")
            raise ProtoTextError(message or f"protoc exited with {done.returncode}")
        files = descriptor_pb2.FileDescriptorSet()
        files.ParseFromString(out.read_bytes())
        main = next(f for f in files.file if f.name == MAIN_FILE)
        return base64.b64encode(main.SerializeToString()).decode("ascii")


def _well_known_types() -> Any:
    """Where grpcio-tools keeps google/protobuf/*.proto (timestamp, wrappers, …), which schemas import."""
    try:
        import grpc_tools
    except ImportError:
        raise ProtoTextError("Protobuf schemas given as .proto text need grpcio-tools: "
                             "pip install 'pyconnect-flow[protobuf]'") from None
    return Path(grpc_tools.__file__).parent / "_proto"
