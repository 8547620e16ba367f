"""An embedded Schema Registry: Confluent's REST API over schemas kept in a Kafka topic.

    pyconnect-flow schema-registry --bootstrap-servers localhost:9092 --listeners http://127.0.0.1:8081

- `store.py` — `SchemaStore`: subjects, versions, ids, compatibility levels; the `_schemas` topic;
- `app.py` — `create_app(store)`: the REST API on Starlette;
- `server.py` — `serve(...)` (blocking, uvicorn) and `RegistryServer` (in a thread, for tests and demos).
"""

from pyconnect_flow.registry.server import RegistryServer, serve
from pyconnect_flow.registry.store import SchemaStore

__all__ = ["RegistryServer", "SchemaStore", "serve"]
