"""`pyconnect-flow kafka`: the embedded services a new user tries flows against, running until Ctrl-C.

The Kafka-compatible broker (Tansu, from the `embedded` extra) listens on `localhost:9092` unless told
otherwise, so `python -m bytewax.run flows.file_to_kafka` and the stock worker files work as they are.
PostgreSQL, the Elasticsearch API and S3 (from the `test` extra's wheels) start on free loopback ports
when asked for; their addresses are printed.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import TextIO, TypeVar

from pyconnect_flow.embedded import ServiceProcess
from pyconnect_flow.embedded.kafka import EmbeddedKafka

DEFAULT_KAFKA_PORT = 9092
S = TypeVar("S", bound=ServiceProcess)


def serve(kafka_port: int = DEFAULT_KAFKA_PORT, *, postgres: bool = False, elasticsearch: bool = False,
          s3: bool = False, out: TextIO = sys.stdout, until: Callable[[], None] | None = None) -> int:
    """Start the services, print where they listen, and wait until SIGINT/SIGTERM (or `until` returns).

    `kafka_port=0` picks a free port. The other services' modules are imported only when asked for:
    their wheels come with the `test` extra."""
    with ExitStack() as stack:
        def start(service: S) -> S:
            stack.callback(service.stop)
            return service.start()

        kafka = EmbeddedKafka()
        kafka.fixed_ports = (kafka_port,) if kafka_port else ()
        started = [("Kafka (bootstrap.servers)", start(kafka).bootstrap_servers)]
        if postgres:
            from pyconnect_flow.embedded.postgres import EmbeddedPostgres

            started.append(("PostgreSQL (connection.url)", start(EmbeddedPostgres()).url))
        if elasticsearch:
            from pyconnect_flow.embedded.noida import NoidaDb

            started.append(("Elasticsearch API (connection.url)", start(NoidaDb(["elasticsearch"])).elasticsearch_url))
        if s3:
            from pyconnect_flow.embedded.s3 import MotoS3

            started.append(("S3 (store.url, any access key)", start(MotoS3()).endpoint_url))
        width = max(len(what) for what, _ in started)
        for what, where in started:
            print(f"{what:<{width}}  {where}", file=out)
        print("Running until Ctrl-C.", file=out, flush=True)
        (until or _wait_for_stop_signal)()
    return 0


def _wait_for_stop_signal() -> None:
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
