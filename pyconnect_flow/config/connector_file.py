"""Connector and worker config files, in the shapes Kafka Connect accepts.

A connector file is one of:

- a `.properties` file, as `connect-standalone.sh` takes it;
- JSON as the REST API's `POST /connectors` takes it: `{"name": ..., "config": {...}}`
  (the name is copied into `config["name"]` when missing there; a different name there is
  an error, as Kafka's "Connector name configuration ... doesn't match"; `initial_state` is
  accepted and not part of the config);
- a flat JSON object of keys, as `PUT /connectors/{name}/config` takes it.

JSON values may be strings, numbers or booleans. As Kafka's Jackson reads them into a
`Map<String, String>`, numbers keep their JSON text (`1` → "1", `1.50` → "1.50") and
booleans become "true"/"false"; null, arrays and objects are errors (write a list as
"a,b"). Files whose name ends in `.json`, or whose first non-blank character is `{`, are
JSON; anything else is `.properties`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from pyconnect_flow.config.properties import ConfigFileError, parse_properties_file_text, read_config_text

_REST_KEYS = {"name", "config", "initial_state"}


class _JsonNumber(str):
    """A JSON number kept as its text, as Jackson hands it to a `String`."""


def load_connector_config(path: str | os.PathLike[str]) -> dict[str, str]:
    """The connector config in the `.properties` or JSON file at `path` (see the module doc).

    Raises ConfigFileError naming the file when it is missing, unreadable, not valid JSON
    (with line and column) or not shaped as a connector config.
    """
    text = read_config_text(path, "connector config")
    if not _is_json(path, text):
        return parse_properties_file_text(path, text)
    document = _parse_json(path, text)
    if not isinstance(document, dict):
        raise ConfigFileError(path, f"a connector config must be a JSON object, not {_json_kind(document)}")
    if "config" in document:
        return _from_rest_request(path, document)
    return _string_values(path, document, "", "connector")


def load_worker_config(path: str | os.PathLike[str]) -> dict[str, str]:
    """The worker config in the `.properties` (or flat JSON object) file at `path`.

    Raises ConfigFileError naming the file when it is missing, unreadable or not valid.
    """
    text = read_config_text(path, "worker config")
    if not _is_json(path, text):
        return parse_properties_file_text(path, text)
    document = _parse_json(path, text)
    if not isinstance(document, dict):
        raise ConfigFileError(path, f"a worker config must be a JSON object, not {_json_kind(document)}")
    return _string_values(path, document, "", "worker")


def _from_rest_request(path: str | os.PathLike[str], document: dict[str, Any]) -> dict[str, str]:
    """The config of a `POST /connectors` body, with its name in `config["name"]`."""
    extra = sorted(set(document) - _REST_KEYS)
    if extra:
        raise ConfigFileError(path, f"unexpected top-level key(s) {', '.join(map(repr, extra))} next to \"config\"; "
                                    "connector settings belong inside \"config\"")
    if not isinstance(document["config"], dict):
        raise ConfigFileError(path, f"\"config\" must be a JSON object of connector settings, "
                                    f"not {_json_kind(document['config'])}")
    config = _string_values(path, document["config"], "config.", "connector")
    name = document.get("name")
    if name is None:
        return config
    if not isinstance(name, str) or isinstance(name, _JsonNumber):
        raise ConfigFileError(path, f"\"name\" must be a string, not {_json_kind(name)}")
    if "name" not in config:
        return {"name": name, **config}
    if config["name"] != name:
        raise ConfigFileError(path, f"connector name in \"config\" ({config['name']!r}) does not match "
                                    f"the top-level \"name\" ({name!r})")
    return config


def _string_values(path: str | os.PathLike[str], obj: Mapping[str, Any], where: str, what: str) -> dict[str, str]:
    """`obj` with every value as Kafka Connect would hold it: a string."""
    out: dict[str, str] = {}
    problems: list[str] = []
    for key, value in obj.items():
        if isinstance(value, str):  # numbers arrive here as their JSON text (see _parse_json)
            out[key] = str(value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            hint = "; write a list as one comma-separated string" if isinstance(value, list) else ""
            problems.append(f"{where}{key}: must be a string, number or boolean, not {_json_kind(value)}{hint}")
    if problems:
        raise ConfigFileError(path, f"invalid {what} config value(s):\n  - " + "\n  - ".join(problems))
    return out


def _is_json(path: str | os.PathLike[str], text: str) -> bool:
    if os.fspath(path).lower().endswith(".json"):
        return True
    if os.fspath(path).lower().endswith(".properties"):
        return False
    return text.lstrip().startswith("{")


def _parse_json(path: str | os.PathLike[str], text: str) -> Any:
    """JSON with numbers kept as their text (as Jackson gives them to a String); NaN/Infinity rejected."""
    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        return json.loads(text, parse_int=_JsonNumber, parse_float=_JsonNumber, parse_constant=reject_constant)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:
        raise ConfigFileError(path, f"invalid JSON: {exc}") from None


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, _JsonNumber):
        return "a number"
    return "a string" if isinstance(value, str) else type(value).__name__


def parse_rest_json(text: str, where: str = "request body") -> Any:
    """A REST request body as Kafka Connect reads it: numbers kept as their JSON text (see the module).

    Raises ConfigFileError naming `where` when it is not valid JSON."""
    return _parse_json(where, text)


def rest_config_values(obj: Mapping[str, Any], where: str = "request body", prefix: str = "") -> dict[str, str]:
    """A REST request's connector config with every value as Kafka Connect holds it: a string.

    Raises ConfigFileError naming `where` for a value that is null, an array or an object."""
    return _string_values(where, obj, prefix, "connector")


def rest_create_request(document: Any, where: str = "request body") -> tuple[str | None, dict[str, str]]:
    """The name and config of a `POST /connectors` body (`{"name", "config", "initial_state"}`)."""
    if not isinstance(document, dict):
        raise ConfigFileError(where, f"a connector must be a JSON object, not {_json_kind(document)}")
    if not isinstance(document.get("config"), dict):
        raise ConfigFileError(where, "\"config\" must be a JSON object of connector settings, "
                                     f"not {_json_kind(document.get('config'))}")
    extra = sorted(set(document) - _REST_KEYS - {"initial_offsets"})
    if extra:
        raise ConfigFileError(where, f"unexpected top-level key(s) {', '.join(map(repr, extra))} next to "
                                     "\"config\"; connector settings belong inside \"config\"")
    name = document.get("name")
    if name is not None and (not isinstance(name, str) or isinstance(name, _JsonNumber)):
        raise ConfigFileError(where, f"\"name\" must be a string, not {_json_kind(name)}")
    return name, _string_values(where, document["config"], "config.", "connector")
