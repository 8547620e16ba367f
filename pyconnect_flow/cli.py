"""`pyconnect-flow`: the command line, shaped like Kafka Connect's `connect-standalone`.

    pyconnect-flow standalone worker.properties [connector.properties connector2.json ...]
    pyconnect-flow standalone --stop-at-end worker.properties connector.properties ...
    pyconnect-flow distributed connect-distributed.properties
    pyconnect-flow validate worker.properties connector.properties ...
    pyconnect-flow connectors
    pyconnect-flow demo
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version

from pyconnect_flow.connectors.registry import builtin_connectors
from pyconnect_flow.data.exceptions import ConnectException
from pyconnect_flow.demo import main as demo_main
from pyconnect_flow.embedded.serve import DEFAULT_KAFKA_PORT, serve
from pyconnect_flow.engine.engine_output import engine_panics_filtered
from pyconnect_flow.engine.explain import explain, root_cause
from pyconnect_flow.engine.recovery import RecoveryStoreError, store_failure
from pyconnect_flow.engine.runner import RunOptions, load, run_connectors, write_error_file
from pyconnect_flow.engine.shutdown import watch_parent
from pyconnect_flow.logs import configure_logging
from pyconnect_flow.python_version import exit_if_unsupported
from pyconnect_flow.runtime.metrics import serve_run_metrics
from pyconnect_flow.runtime.worker import WorkerOptions, run_worker


def _standalone(args: argparse.Namespace) -> int:
    if not (args.stop_at_end or args.no_rest):
        if args.processes is not None:
            raise ConnectException("--processes applies without the REST API only (--no-rest or --stop-at-end); "
                                   "with it, each connector runs tasks.max processes")
        return run_worker(WorkerOptions(
            worker_file=args.worker, connector_files=args.connectors, recovery_dir=args.recovery_dir,
            epoch_interval_ms=args.epoch_interval_ms, log_level=args.log_level))
    if not args.connectors:
        raise ConnectException("Give at least one connector file to run without the REST API "
                               "(--no-rest or --stop-at-end)")
    if args.parent_pid is not None:
        # Polled, not PR_SET_PDEATHSIG: the kernel sends that when the parent *thread* that started this
        # process ends, and the REST worker starts connectors from short-lived request threads.
        if os.getppid() != args.parent_pid:
            return 1
        watch_parent(args.parent_pid)
    options = RunOptions(
        worker_file=args.worker, connector_files=args.connectors, stop_at_end=args.stop_at_end,
        recovery_dir=args.recovery_dir, processes=args.processes, epoch_interval_ms=args.epoch_interval_ms,
        pause_file=args.pause_file, positions_file=args.positions_file, error_file=args.error_file,
        metrics_dir=args.metrics_dir,
        topics_file=args.topics_file, offsets_topic=args.offsets_topic,
        overrides=_overrides(args.worker_override),
    )
    if options.metrics_dir is None:  # not a REST worker's connector: `metrics.port` is this run's to serve
        options.metrics_dir = serve_run_metrics(options)
    try:
        return run_connectors(options)
    except Exception as exc:
        _raise_located_store_failure(options, exc)
        raise


def _overrides(entries: Sequence[str] | None) -> dict[str, str]:
    """`--worker-override KEY=VALUE` entries as a dict."""
    overrides: dict[str, str] = {}
    for entry in entries or ():
        key, sep, value = entry.partition("=")
        if not sep or not key.strip():
            raise ConnectException(f"--worker-override takes KEY=VALUE, not {entry!r}")
        overrides[key.strip()] = value
    return overrides


def _raise_located_store_failure(options: RunOptions, exc: Exception) -> None:
    """When `exc` is the recovery store failing mid-run, raise it again as a RecoveryStoreError naming the store."""
    problem = store_failure(root_cause(exc))
    if problem is None:
        return
    try:
        loaded = load(options)  # checks the store again: a damage it can see now is described precisely
    except RecoveryStoreError as located:
        raise located from exc
    except Exception:  # noqa: BLE001 - the configs changed meanwhile: explain() reports the store unnamed
        return
    if loaded.recovery_dir is not None:
        raise RecoveryStoreError(loaded.recovery_dir, loaded.recovery_setting, problem) from exc


def _distributed(args: argparse.Namespace) -> int:
    from pyconnect_flow.runtime.distributed_worker import run_distributed

    return run_distributed(args.worker, args.log_level, args.epoch_interval_ms)


def _validate(args: argparse.Namespace) -> int:
    loaded = load(RunOptions(worker_file=args.worker, connector_files=args.connectors))
    for spec in loaded.specs:
        print(f"Connector '{spec.name}' ({spec.connector.__name__}, {spec.kind}) is valid:")
        for key, value in sorted(spec.display.items()):
            print(f"  {key}={value}")
    return 0


def _connectors(args: argparse.Namespace) -> int:
    for cls in builtin_connectors():
        print(f"{cls.KIND:6} {cls.CLASS_NAMES[0]}  (aliases: {', '.join(cls.short_names())})")
    return 0


def _demo(args: argparse.Namespace) -> int:
    return demo_main([] if args.file is None else ["--file", args.file])


def _at_least_one(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _kafka(args: argparse.Namespace) -> int:
    return serve(args.port, postgres=args.postgres, elasticsearch=args.elasticsearch, s3=args.s3)


def _schema_registry(args: argparse.Namespace) -> int:
    from pyconnect_flow.registry import serve as serve_registry

    serve_registry(args.bootstrap_servers, args.listeners, args.topic)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyconnect-flow", description="Kafka Connect's connectors on Bytewax.")
    p.add_argument("--version", action="version", version=f"%(prog)s {version('pyconnect-flow')}")
    p.add_argument("--log-level", default=os.environ.get("PYCONNECT_FLOW_LOG_LEVEL", "INFO"),
                   help="logging level: DEBUG, INFO (default, as Kafka Connect's), WARNING, ERROR")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("standalone", help="run connectors in one worker with Kafka Connect's REST API, "
                                          "like connect-standalone")
    s.add_argument("worker", help="worker config (.properties), e.g. connect-standalone.properties")
    s.add_argument("connectors", nargs="*", help="connector configs (.properties or REST API JSON)")
    s.add_argument("--stop-at-end", action="store_true",
                   help="exit 0 once all existing input has been delivered (runs the connectors as one dataflow, "
                        "without the REST API)")
    s.add_argument("--no-rest", action="store_true",
                   help="run the connectors given as one dataflow, without the REST API")
    s.add_argument("--recovery-dir", help="recovery store directory (default: offset.storage.file.filename)")
    s.add_argument("--processes", type=_at_least_one,
                   help="number of Bytewax processes, at least 1 (default: the largest tasks.max)")
    s.add_argument("--epoch-interval-ms", type=_at_least_one,
                   help="epoch length, at least 1 (default: offset.flush.interval.ms)")
    # How the REST worker runs each connector's processes (runtime.herder); not for users.
    s.add_argument("--pause-file", help=argparse.SUPPRESS)
    s.add_argument("--positions-file", help=argparse.SUPPRESS)
    s.add_argument("--error-file", help=argparse.SUPPRESS)
    s.add_argument("--topics-file", help=argparse.SUPPRESS)
    s.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    s.add_argument("--metrics-dir", help=argparse.SUPPRESS)
    s.add_argument("--offsets-topic", action="store_true", help=argparse.SUPPRESS)
    s.add_argument("--worker-override", action="append", help=argparse.SUPPRESS)
    s.set_defaults(func=_standalone)

    w = sub.add_parser("distributed", help="run one worker of a distributed cluster (like connect-distributed): "
                                            "workers of one group.id share the connectors, their state in Kafka")
    w.add_argument("worker", help="worker config (.properties), e.g. connect-distributed.properties")
    w.add_argument("--epoch-interval-ms", type=_at_least_one,
                   help="epoch length, at least 1 (default: offset.flush.interval.ms)")
    w.set_defaults(func=_distributed)

    v = sub.add_parser("validate", help="check configs and print them (secrets hidden)")
    v.add_argument("worker")
    v.add_argument("connectors", nargs="+")
    v.set_defaults(func=_validate)

    c = sub.add_parser("connectors", help="list the connector classes")
    c.set_defaults(func=_connectors)

    d = sub.add_parser("demo", help="file → embedded Kafka demo")
    d.add_argument("--file", default=None)
    d.set_defaults(func=_demo)

    k = sub.add_parser("kafka", help="run the embedded Kafka-compatible broker (and other services) until Ctrl-C")
    k.add_argument("--port", type=int, default=DEFAULT_KAFKA_PORT,
                   help=f"the broker's port on localhost (default {DEFAULT_KAFKA_PORT}; 0: any free port)")
    k.add_argument("--postgres", action="store_true", help="also start an embedded PostgreSQL")
    k.add_argument("--elasticsearch", action="store_true", help="also start the Elasticsearch API (noida-db)")
    k.add_argument("--s3", action="store_true", help="also start an S3 server (moto)")
    k.set_defaults(func=_kafka)

    r = sub.add_parser("schema-registry", help="run a Schema Registry (Confluent's REST API) keeping schemas in Kafka")
    r.add_argument("--bootstrap-servers", required=True, help="the Kafka cluster holding the schemas topic")
    r.add_argument("--listeners", default="http://0.0.0.0:8081", help="where to serve (default http://0.0.0.0:8081)")
    r.add_argument("--topic", default="_schemas", help="the compacted topic of schemas (default _schemas)")
    r.set_defaults(func=_schema_registry)

    for command in sub.choices.values():  # --log-level after the subcommand too
        command.add_argument("--log-level", default=argparse.SUPPRESS, help="logging level (default INFO)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    exit_if_unsupported()
    # Rust backtraces of Bytewax's runtime say nothing to a connector user; errors are explained below.
    os.environ["RUST_BACKTRACE"] = os.environ.get("PYCONNECT_FLOW_RUST_BACKTRACE", "0")
    args = parser().parse_args(argv)
    configure_logging(args.log_level)
    with engine_panics_filtered():
        try:
            return int(args.func(args))
        except KeyboardInterrupt:
            return 130
        except Exception as exc:  # noqa: BLE001 - every failure becomes one clear message
            message = explain(exc)
            print(f"pyconnect-flow: {message}", file=sys.stderr)
            error_file = getattr(args, "error_file", None)
            if error_file:
                write_error_file(error_file, message)
            return 1


if __name__ == "__main__":
    sys.exit(main())
