"""The connector contract: what a connector author implements, and nothing of the engine that runs it.

- a source: `RecordSource` (partitions, `open`) and its `SourceReader` (`read`, `position`, `delivered`);
- a sink: `RecordSink` (`open`) and its `SinkWriter` (`write` a `SinkBatch`, `flush` at each epoch boundary);
- the declaration: a `Connector` subclass with its `CONFIG`, `CLASS_NAMES` and `source()`/`sink()`, built
  from a `ConnectorContext`;
- retries: a `RetryPolicy` (`retry.py`) that the connector's keys map onto, never a loop of its own.

Arrows point one way: data ← config, converters, transforms ← contract ← connectors ← engine ← CLI.
"""

from pyconnect_flow.contract.connector import Connector, ConnectorContext
from pyconnect_flow.contract.retry import Jitter, RetriesExhausted, RetryPolicy
from pyconnect_flow.contract.sink import Encoded, RecordSink, SinkBatch, SinkWriter, encoded_items
from pyconnect_flow.contract.source import EndOfInput, ReadBatch, RecordSource, SourceReader

__all__ = ["Connector", "ConnectorContext", "Encoded", "EndOfInput", "Jitter", "ReadBatch", "RecordSink", "RecordSource",
           "RetriesExhausted", "RetryPolicy", "SinkBatch", "SinkWriter", "SourceReader", "encoded_items"]
