"""The CLI's defaults (``basin configure``) and the SDK client every command uses."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from basin.errors import ValidationError
from basin.files import replace_file
from basin.sdk._connection import basin_home

if TYPE_CHECKING:
    from basin.cli._argv import Prepared
    from basin.sdk import MLClient

__all__ = [
    "begin",
    "client",
    "close_clients",
    "end",
    "generic_update",
    "load_defaults",
    "parse_tags",
    "quiet",
    "save_defaults",
    "state",
]

#: Set by the root callback from --server/--token.
state: dict[str, str | None] = {"server": None, "token": None}
#: Clients made during one CLI run, closed by ``close_clients`` when it ends.
_clients: list[MLClient] = []
#: What the command line said that typer does not keep (global flags, --set/--add/--remove).
_run: dict[str, Any] = {}


def begin(prepared: Prepared) -> None:
    """Start a CLI run (``main`` calls it with the prepared command line)."""
    _run.clear()
    _run["prepared"] = prepared
    state.update(server=None, token=None)


def end() -> None:
    close_clients()
    _run.clear()


def quiet() -> bool:
    """``--only-show-errors``: no warnings or progress, only errors and results."""
    prepared = _run.get("prepared")
    return bool(prepared and prepared.only_show_errors)


def generic_update(data: dict[str, Any], *, force_string: bool = False) -> dict[str, Any]:
    """Apply the run's --set/--add/--remove to ``data`` in the order given (az's generic update)."""
    from basin.cli._generic import apply_generic_update

    prepared = _run.get("prepared")
    operations = prepared.generic if prepared else []
    return apply_generic_update(data, operations, force_string=force_string)


def has_generic_update() -> bool:
    prepared = _run.get("prepared")
    return bool(prepared and prepared.generic)


DEFAULT_KEYS = ("group", "workspace")


def config_path() -> Any:
    return basin_home() / "config.json"


def load_defaults() -> dict[str, str]:
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}
    defaults = data.get("defaults", {})
    return {k: str(v) for k, v in defaults.items()} if isinstance(defaults, dict) else {}


def save_defaults(pairs: list[str]) -> dict[str, str]:
    defaults = load_defaults()
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in DEFAULT_KEYS:
            raise ValidationError(
                f"--defaults takes {' or '.join(k + '=<name>' for k in DEFAULT_KEYS)}; got '{pair}'."
            )
        if value:
            defaults[key] = value
        else:
            defaults.pop(key, None)
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, json.dumps({"defaults": defaults}, indent=2))
    return defaults


def client(
    group: str | None = None, workspace: str | None = None, registry: str | None = None
) -> MLClient:
    from basin.sdk import MLClient

    defaults = load_defaults()
    made = MLClient(
        None,
        None,
        group or defaults.get("group"),
        workspace or defaults.get("workspace"),
        server=state["server"],
        token=state["token"],
        registry_name=registry,
    )
    _clients.append(made)
    return made


def close_clients() -> None:
    while _clients:
        _clients.pop().close()


def parse_tags(tags: list[str] | None) -> dict[str, str] | None:
    if tags is None:
        return None
    parsed = {}
    for item in tags:
        for pair in item.split():
            key, _, value = pair.partition("=")
            if not key:
                raise ValidationError(f"--tags takes key=value pairs; got '{pair}'.")
            parsed[key] = value
    return parsed
