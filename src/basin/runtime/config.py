"""The runtime's settings, read once at start from flags, environment and an optional JSON file.

Flags as azmlinfsrv (``--entry_script``, ``--model_dir``, ``--port``, ...; dashed spellings
accepted) plus ``--host``, ``--uds``, ``--reload``, ``--threads``, ``--inline-ms`` and
``--max-body-bytes``. Environment as azmlinfsrv (``AZUREML_ENTRY_SCRIPT``,
``AZUREML_MODEL_DIR``, ``SCORING_TIMEOUT_MS``, ``AML_APP_ROOT``, ``SERVICE_NAME``, ...) plus
``BASIN_RUNTIME_THREADS``, ``BASIN_RUNTIME_INLINE_MS``, ``BASIN_RUNTIME_MAX_BODY_BYTES`` and
``BASIN_RUNTIME_SOCKET`` (as ``--uds``; empty: none) and ``BASIN_RUNTIME_LISTEN_FD`` (an
inherited socket already listening on ``--port``, which basin's supervisor binds so that no
other program can take the port first; environment only). Priority: flags > environment > config
file (``--config_file``/``AZUREML_CONFIG_FILE``, else a non-empty ``config.json`` in
``AML_APP_ROOT`` or the script's folder), whose keys are the environment variable names.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_INLINE_MS",
    "DEFAULT_PORT",
    "DEFAULT_THREADS",
    "VERSION",
    "ConfigError",
    "RuntimeConfig",
    "build_parser",
    "load_config",
]

VERSION = "0.1.0"
DEFAULT_PORT = 5001
DEFAULT_HOST = "127.0.0.1"
DEFAULT_TIMEOUT_MS = 3_600_000
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024
# Sync run() calls run in this many threads. azmlinfsrv runs one request at a time per worker;
# a few threads overlap the GIL-free parts (numpy, I/O) of several requests without letting a
# CPU-bound script thrash. BASIN_RUNTIME_THREADS=0 runs run() inline on the event loop.
DEFAULT_THREADS = 4
# A run() that keeps finishing within this many ms runs inline: for it the hop to a thread and
# back costs more than the call (see runners.AdaptiveRunner). 0 keeps every call in the pool.
DEFAULT_INLINE_MS = 1.0

_FILE_KEYS = (
    "AML_APP_ROOT",
    "AZUREML_SOURCE_DIRECTORY",
    "AZUREML_ENTRY_SCRIPT",
    "AZUREML_MODEL_DIR",
    "SCORING_TIMEOUT_MS",
    "SERVICE_NAME",
    "SERVICE_VERSION",
    "SERVICE_PATH_PREFIX",
    "AML_CORS_ORIGINS",
    "AZUREML_LOG_LEVEL",
    "BASIN_RUNTIME_THREADS",
    "BASIN_RUNTIME_INLINE_MS",
    "BASIN_RUNTIME_MAX_BODY_BYTES",
)


class ConfigError(Exception):
    """A setting is missing or invalid; ``exit_code`` is what the process should exit with."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class RuntimeConfig:
    """Everything the runtime needs; built only by ``load_config`` (or tests)."""

    entry_script: str
    app_root: str
    model_dir: str | None = None
    source_dir: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    health_port: int | None = None
    uds: str | None = None  # a Unix socket to listen on as well (basin's gateway uses it)
    listen_fd: int | None = None  # an inherited socket listening on ``port``, served on
    reload: bool = False
    threads: int = DEFAULT_THREADS
    inline_ms: float = DEFAULT_INLINE_MS
    scoring_timeout_ms: int = DEFAULT_TIMEOUT_MS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    service_name: str = "ML service"
    service_version: str = "1.0"
    service_path_prefix: str = ""
    server_version: str | None = f"basin-runtime/{VERSION}"
    cors_origins: list[str] = field(default_factory=list)
    log_level: str = "INFO"
    ignored: list[str] = field(default_factory=list)

    @property
    def script_dir(self) -> str:
        return os.path.dirname(self.entry_script)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RuntimeConfig:
        return cls(**json.loads(text))


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0..65535")
    return port


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{number} is not greater than zero")
    return number


def _milliseconds(value: str) -> float:
    number = float(value)
    if not 0 <= number < float("inf"):  # also refuses NaN
        raise argparse.ArgumentTypeError(f"{value} is not a number of milliseconds of 0 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m basin.runtime",
        description="basin scoring runtime (the Azure ML inference server contract on uvicorn)",
    )
    add = parser.add_argument
    add("--entry_script", "--entry-script", dest="entry_script", help="path of the scoring script")
    add("--model_dir", "--model-dir", dest="model_dir", help="sets AZUREML_MODEL_DIR")
    add("--port", type=_port, help=f"serving port (default {DEFAULT_PORT})")
    add("--host", help=f"address to listen on (default {DEFAULT_HOST})")
    add("--uds", help="also listen on this Unix socket (as uvicorn's --uds; not with --reload)")
    add(
        "--health_port",
        "--health-port",
        dest="health_port",
        type=_port,
        help="second port answering the same routes (with SEPERATE_HEALTH_ENDPOINT=true)",
    )
    add("--config_file", "--config-file", dest="config_file", help="JSON settings file")
    add("--threads", type=int, help="threads running sync run() (0: inline on the event loop)")
    add(
        "--inline-ms",
        "--inline_ms",
        dest="inline_ms",
        type=_milliseconds,
        help=f"run() calls that keep finishing within this many ms run inline on the event loop "
        f"(default {DEFAULT_INLINE_MS:g}; 0: always in the thread pool)",
    )
    add(
        "--max-body-bytes",
        "--max_body_bytes",
        dest="max_body_bytes",
        type=_positive,
        help="largest accepted request body (default 100 MiB)",
    )
    add("--reload", action="store_true", help="restart when the script's folder changes")
    add(
        "--access_control_allow_origins",
        "--access-control-allow-origins",
        dest="cors",
        help='CORS origins, comma separated ("*" allowed)',
    )
    # Accepted for azmlinfsrv compatibility; see RuntimeConfig.ignored.
    add(
        "--worker_count",
        "--worker-count",
        dest="worker_count",
        type=_positive,
        help=argparse.SUPPRESS,
    )
    add("--appinsights_instrumentation_key", dest="appinsights", help=argparse.SUPPRESS)
    add("--rest", action="store_true", help=argparse.SUPPRESS)
    return parser


def _config_file(
    explicit: str | None, env: Mapping[str, str], app_root: str, script: str | None
) -> dict[str, Any]:
    candidates = [explicit] if explicit else []
    candidates.append(os.path.join(app_root, "config.json"))
    if script:
        candidates.append(os.path.join(os.path.dirname(os.path.abspath(script)), "config.json"))
    for path in candidates:
        if path and os.path.isfile(path) and os.path.getsize(path) > 0:
            try:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
            except (OSError, ValueError) as ex:
                raise ConfigError(f"Invalid config file {path}: {ex}", 3) from None
            if not isinstance(data, dict):
                raise ConfigError(f"Invalid config file {path}: not a JSON object", 3)
            return {k: str(v) for k, v in data.items() if k in _FILE_KEYS and v is not None}
    return {}


def _descriptor(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _int_setting(values: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = values.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = int(raw)
    except ValueError:
        raise ConfigError(
            f"{name}: {raw!r} is not an integer (environment variable: {name})", 3
        ) from None
    if number < minimum:
        raise ConfigError(f"{name}: {number} is below {minimum} (environment variable: {name})", 3)
    return number


def _float_setting(values: Mapping[str, str], name: str, default: float) -> float:
    raw = values.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = float(raw)
    except ValueError:
        number = -1.0
    if not number >= 0 or number == float("inf"):  # also refuses NaN
        raise ConfigError(
            f"{name}: {raw!r} is not a number of milliseconds of 0 or more "
            f"(environment variable: {name})",
            3,
        )
    return number


def load_config(argv: list[str] | None, environ: Mapping[str, str]) -> RuntimeConfig:
    """Resolve the settings; raises ``ConfigError`` (exit 1 for bad usage, 3 for bad values)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as ex:
        raise ConfigError("invalid command line", 1 if ex.code else 0) from None

    app_root = os.path.abspath(environ.get("AML_APP_ROOT") or os.getcwd())
    config_file = args.config_file or environ.get("AZUREML_CONFIG_FILE")
    file_values = _config_file(
        config_file, environ, app_root, args.entry_script or environ.get("AZUREML_ENTRY_SCRIPT")
    )
    values: dict[str, str] = {
        **file_values,
        **{k: v for k, v in environ.items() if k in _FILE_KEYS},
    }
    if "AML_APP_ROOT" in file_values and "AML_APP_ROOT" not in environ:
        app_root = os.path.abspath(file_values["AML_APP_ROOT"])

    if args.entry_script:
        entry = os.path.realpath(args.entry_script)
    elif values.get("AZUREML_ENTRY_SCRIPT"):
        entry = os.path.realpath(os.path.join(app_root, values["AZUREML_ENTRY_SCRIPT"]))
    elif os.path.isfile(os.path.join(app_root, "main.py")):
        entry = os.path.join(app_root, "main.py")  # azmlinfsrv's fallback: `import main`
    else:
        raise ConfigError(
            "Either provide an entry_script using --entry_script (or AZUREML_ENTRY_SCRIPT) or "
            "provide a path to the configuration file using --config_file",
            1,
        )
    if not os.path.isfile(entry):
        raise ConfigError(f"Scoring script not found: {entry}", 3)

    model_dir = args.model_dir or values.get("AZUREML_MODEL_DIR")
    threads = (
        args.threads
        if args.threads is not None
        else _int_setting(values, "BASIN_RUNTIME_THREADS", DEFAULT_THREADS, 0)
    )
    if threads < 0:
        raise ConfigError("--threads must be 0 or more", 1)
    inline_ms = (
        args.inline_ms
        if args.inline_ms is not None
        else _float_setting(values, "BASIN_RUNTIME_INLINE_MS", DEFAULT_INLINE_MS)
    )
    cors = args.cors if args.cors is not None else values.get("AML_CORS_ORIGINS")
    version_on = environ.get("SERVER_VERSION_LOG_RESPONSE_ENABLED", "true").lower() == "true"
    health = args.health_port
    if environ.get("SEPERATE_HEALTH_ENDPOINT") == "true" and health is None:
        health = 5000
    elif environ.get("SEPERATE_HEALTH_ENDPOINT") != "true":
        health = None
    ignored = [
        flag
        for flag, value in (
            ("--worker_count", args.worker_count),
            ("--appinsights_instrumentation_key", args.appinsights),
        )
        if value is not None
    ]
    return RuntimeConfig(
        entry_script=entry,
        app_root=app_root,
        model_dir=os.path.abspath(model_dir) if model_dir else None,
        source_dir=values.get("AZUREML_SOURCE_DIRECTORY") or None,
        host=args.host or DEFAULT_HOST,
        port=args.port if args.port is not None else DEFAULT_PORT,
        health_port=health,
        uds=args.uds or environ.get("BASIN_RUNTIME_SOCKET") or None,
        listen_fd=_descriptor(environ.get("BASIN_RUNTIME_LISTEN_FD", "")),
        reload=bool(args.reload),
        threads=threads,
        inline_ms=inline_ms,
        scoring_timeout_ms=_int_setting(values, "SCORING_TIMEOUT_MS", DEFAULT_TIMEOUT_MS, 1),
        max_body_bytes=args.max_body_bytes
        or _int_setting(values, "BASIN_RUNTIME_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1),
        service_name=values.get("SERVICE_NAME", "ML service"),
        service_version=values.get("SERVICE_VERSION", "1.0"),
        service_path_prefix=values.get("SERVICE_PATH_PREFIX", ""),
        server_version=f"basin-runtime/{VERSION}" if version_on else None,
        cors_origins=[o.strip() for o in cors.split(",") if o.strip()] if cors else [],
        log_level=values.get("AZUREML_LOG_LEVEL", "INFO"),
        ignored=ignored,
    )
