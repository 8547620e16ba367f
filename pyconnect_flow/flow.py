"""The Python API for building dataflows: the engine's compiler under the name the README uses.

    flow = build_flow(FileSource(["in.txt"], "lines"), KafkaSink({...}), name="lines", transforms=[...])
    flow = connector_flow({"connector.class": "FileStreamSource", ...}, worker)

See `pyconnect_flow.engine.compile` for what these build.
"""

from pyconnect_flow.engine.compile import (
    FLOW_ID,
    TransformFn,
    add_connector,
    add_pipeline,
    build_flow,
    connector_flow,
    connectors_flow,
    step_name,
)

__all__ = ["FLOW_ID", "TransformFn", "add_connector", "add_pipeline", "build_flow", "connector_flow",
           "connectors_flow", "step_name"]
