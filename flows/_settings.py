"""Settings for the runnable flows: a `.properties` file beside the flow, overridden by environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pyconnect_flow.config import load_properties


def flow_settings(flow_file: str, defaults: Mapping[str, str], env: Mapping[str, str]) -> dict[str, str]:
    """Connector + worker keys for a flow.

    Order of precedence (last wins): `defaults`, the file named by
    `PYCONNECT_CONFIG` or else `<flow>.properties` beside the flow, then each
    environment variable in `env` (variable name → config key) that is set.
    """
    settings = dict(defaults)
    config_file = os.environ.get("PYCONNECT_CONFIG") or str(Path(flow_file).with_suffix(".properties"))
    if Path(config_file).exists():
        settings.update(load_properties(config_file))
    for variable, key in env.items():
        if os.environ.get(variable):
            settings[key] = os.environ[variable]
    return settings


#: Worker keys every flow takes: where its positions are kept (see `pyconnect_flow.engine.bytewax_run`).
ALWAYS_WORKER_KEYS = ("offset.storage.file.filename",)


def split_worker(settings: Mapping[str, str], worker_keys: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """(connector keys, worker keys) of a flat settings dict."""
    worker = {k: v for k, v in settings.items()
              if k in worker_keys or k in ALWAYS_WORKER_KEYS or k.startswith(("producer.", "consumer."))}
    connector = {k: v for k, v in settings.items() if k not in worker}
    return connector, worker


def truthy(value: str | None) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}
