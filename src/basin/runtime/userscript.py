"""Import a scoring script and work out how its ``run()`` wants to be called (as azmlinfsrv does)."""

from __future__ import annotations

import enum
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from basin.runtime.shims import raw_http_flags, reset_raw_http_flags

__all__ = ["InputMode", "ScriptError", "UserScript", "load_script", "walk_path"]

logger = logging.getLogger("azmlinfsrv.user_script")

MODULE_NAME = "entry_module"  # the name azmlinfsrv imports scoring scripts under


class ScriptError(Exception):
    """The scoring script cannot be imported, lacks ``init``/``run`` or declares ``run`` wrongly."""


class InputMode(enum.Enum):
    STRING = "string"  # undecorated run(data): the body as a str
    SCHEMA = "schema"  # @input_schema: one argument per JSON key
    RAW = "raw"  # @rawhttp: the AMLRequest


@dataclass
class UserScript:
    """A loaded scoring script and the shape of its ``run()``."""

    path: str
    module: ModuleType
    init: Callable[[], Any]
    run: Callable[..., Any]
    mode: InputMode
    data_param: str
    params: list[inspect.Parameter] = field(default_factory=list)
    wants_headers: bool = False
    is_async: bool = False


def _schema_util() -> ModuleType | None:
    # A script decorated with inference-schema has imported it; an undecorated one need not.
    return sys.modules.get("inference_schema.schema_util")


def is_schema_decorated(func: Callable[..., Any]) -> bool:
    util = _schema_util()
    return bool(util is not None and util.is_schema_decorated(func))


def _import(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise ScriptError(f"Cannot import the scoring script {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered so that pickling, dataclasses and typing can find the module by name.
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(MODULE_NAME, None)
        raise
    return module


def load_script(path: str) -> UserScript:
    """Import the script at ``path``; raises ``ScriptError`` (import errors are chained)."""
    reset_raw_http_flags()
    try:
        module = _import(path)
    except ScriptError:
        raise
    except BaseException as ex:
        raise ScriptError(
            "Failed to import user script because it raised an unhandled exception"
        ) from ex
    raw = raw_http_flags()
    for name in ("init", "run"):
        if not hasattr(module, name):
            raise ScriptError(f"User script at {path} does not have a {name}() function defined.")

    run = module.run
    driver = getattr(module, "driver_module", None)
    if isinstance(driver, ModuleType) and hasattr(driver, "run"):
        # Old SDK-generated driver scripts forward to the real script; call its run() directly.
        run = driver.run
        logger.info(f"Found driver script at {path} and the score script at {driver.__file__}")
    else:
        logger.info(f"Found user script at {path}")
    return _analyse(path, module, module.init, run, raw)


def _analyse(
    path: str, module: ModuleType, init: Callable[[], Any], run: Callable[..., Any], raw: bool
) -> UserScript:
    params = list(inspect.signature(run).parameters.values())
    allowed = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    if any(p.kind not in allowed for p in params):
        raise ScriptError("run() cannot accept positional-only arguments, *args, or **kwargs.")
    wants_headers = any(p.name == "request_headers" for p in params)
    data_params = [p for p in params if p.name != "request_headers"]
    if not data_params:
        if wants_headers:
            raise ScriptError('run() needs to accept an argument other than "request_headers".')
        raise ScriptError("run() needs to accept an argument for input data.")

    decorated = is_schema_decorated(run)
    if raw and decorated:
        raise ScriptError("run() cannot be decorated with both @rawhttp and @input_schema")
    if raw:
        mode = InputMode.RAW
        logger.info(
            "run() is decorated with @rawhttp. Server will invoke it with the request object."
        )
    elif decorated:
        mode = InputMode.SCHEMA
        names = ", ".join(p.name for p in data_params)
        logger.info(
            "run() is decorated with @input_schema. Server will invoke it with the following "
            f"arguments: {names}."
        )
    else:
        mode = InputMode.STRING
        logger.info("run() is not decorated. Server will invoke it with the input in JSON string.")
    return UserScript(
        path=path,
        module=module,
        init=init,
        run=run,
        mode=mode,
        data_param=data_params[0].name,
        params=data_params,
        wants_headers=wants_headers,
        is_async=inspect.iscoroutinefunction(run),
    )


def walk_path(path: str, depth: int = 0, indent: int = 4) -> Any:
    """Yield an indented tree of ``path`` (logged when ``init()`` fails, as azmlinfsrv does)."""
    path = os.path.normpath(path)
    name = os.path.basename(path.rstrip(os.sep)) or path
    pad = " " * depth * indent
    if os.path.isdir(path):
        yield f"{pad}{name}{os.sep}"
        for child in sorted(os.listdir(path)):
            yield from walk_path(os.path.join(path, child), depth + 1, indent)
    else:
        yield f"{pad}{name}"
