"""Entry point: ``python -m basin.runtime --entry_script score.py [--model_dir DIR] [--port N]``.

Start order: settings -> logging -> uvicorn's modules imported (before any overlay can shadow
them) -> environment extensions -> script import and ``init()`` -> swagger -> listen. Nothing
listens before ``init()`` has finished, so a supervisor polling ``GET /`` sees the replica ready
only once it can score. Exit codes: 1 bad usage, 3 script import/``init()`` failure or bad
setting (as azmlinfsrv), 95/97/99 extension failures (as the Azure inference image).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import os
import socket
import sys
import traceback
from collections.abc import MutableMapping
from functools import partial
from typing import Any

from basin.runtime.app import ScoringApp
from basin.runtime.config import VERSION, ConfigError, RuntimeConfig, load_config
from basin.runtime.extensions import ExtensionError, apply_extensions
from basin.runtime.logs import banner_print, configure_logging, redirect_print
from basin.runtime.runners import AdaptiveRunner, InlineRunner, Runner, ThreadPoolRunner
from basin.runtime.scoring import Scorer
from basin.runtime.shims import install_shims
from basin.runtime.swagger import SwaggerDocs
from basin.runtime.userscript import ScriptError, load_script, walk_path

__all__ = ["StartupError", "app_from_env", "build_app", "main"]

logger = logging.getLogger("azmlinfsrv")

EXIT_STARTUP = 3
_CONFIG_ENV = "BASIN_RUNTIME_CONFIG"
_TREE_LIMIT = 200
_KEEP_ALIVE_S = 75  # idle keep-alive connections live as long as nginx's default
#: What both ways of serving (plain and --reload) give uvicorn besides the address.
_UVICORN_OPTIONS: dict[str, Any] = {
    "ws": "none",
    "lifespan": "on",
    "log_config": None,
    "access_log": False,
    "server_header": False,
    "proxy_headers": False,
    "timeout_keep_alive": _KEEP_ALIVE_S,
}


class StartupError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_STARTUP) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _export_environment(config: RuntimeConfig) -> None:
    # Scoring scripts read these (AZUREML_MODEL_DIR above all), as under azmlinfsrv.
    os.environ["AZUREML_ENTRY_SCRIPT"] = config.entry_script
    os.environ.setdefault("AML_APP_ROOT", config.app_root)
    if config.model_dir:
        os.environ["AZUREML_MODEL_DIR"] = config.model_dir


def _extend_sys_path(config: RuntimeConfig) -> None:
    # azmlinfsrv appends AML_APP_ROOT (and AZUREML_SOURCE_DIRECTORY); basin also appends the
    # script's own folder so sibling imports work wherever the process was started.
    folders = [config.app_root]
    if config.source_dir:
        folders.append(os.path.join(config.app_root, config.source_dir))
    folders.append(config.script_dir)
    for folder in folders:
        if folder not in sys.path:
            sys.path.append(folder)


def _log_model_dir(model_dir: str | None) -> None:
    if not model_dir or not os.path.exists(model_dir):
        return
    logger.info("Model Directory Contents:")
    tree = walk_path(model_dir)
    for line in itertools.islice(tree, _TREE_LIMIT):
        logger.info(line)
    if next(tree, None) is not None:
        logger.info(f"Output Truncated. First {_TREE_LIMIT} lines shown.")


def build_app(config: RuntimeConfig) -> ScoringApp:
    """Import the script, run ``init()`` and build the app; raises ``StartupError``."""
    install_shims()
    _extend_sys_path(config)
    redirect_print()
    try:
        script = load_script(config.entry_script)
    except ScriptError as ex:
        logger.error(f"{ex}\n{traceback.format_exc()}")
        raise StartupError(str(ex)) from ex
    logger.info("Invoking user's init function")
    try:
        result = script.init()
        if inspect.isawaitable(result):
            asyncio.run(_await(result))
    except BaseException as ex:
        logger.error("User's init function failed")
        logger.error(f"Encountered Exception {traceback.format_exc()}")
        _log_model_dir(config.model_dir)
        raise StartupError("init() failed") from ex
    logger.info("Users's init has completed successfully")
    swagger = SwaggerDocs(
        script.run,
        config.app_root,
        config.service_name,
        config.service_version,
        config.service_path_prefix,
    )
    timeout_s = config.scoring_timeout_ms / 1000.0
    runner: Runner
    if config.threads == 0:
        runner = InlineRunner(timeout_s)
        where = "inline on the event loop"
    elif config.inline_ms > 0:
        pool = ThreadPoolRunner(config.threads, timeout_s)
        runner = AdaptiveRunner(pool, config.inline_ms / 1000.0)
        where = (
            f"in a pool of {config.threads} threads, or inline on the event loop while it "
            f"keeps finishing within {config.inline_ms:g} ms"
        )
    else:
        runner = ThreadPoolRunner(config.threads, timeout_s)
        where = f"in a pool of {config.threads} threads"
    logger.info(f"Scoring timeout is set to {config.scoring_timeout_ms}")
    if script.is_async:
        where = "on the event loop (async def run)"
    logger.info(f"run() executes {where}")
    logger.info(f"Worker with pid {os.getpid()} ready for serving traffic")
    return ScoringApp(
        Scorer(script),
        swagger,
        runner,
        scoring_timeout_ms=config.scoring_timeout_ms,
        max_body_bytes=config.max_body_bytes,
        server_version=config.server_version,
        cors_origins=config.cors_origins,
        local_address=(config.host, config.port),
        # Removed when the server stops (uvicorn ends a SIGTERMed process before it returns).
        on_shutdown=partial(_unlink, config.uds) if config.uds else None,
    )


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _banner(config: RuntimeConfig) -> None:
    settings = {
        "Entry Script Name": config.entry_script,
        "Model Directory": config.model_dir,
        "Server Port": config.port,
        "Health Port": config.health_port or config.port,
        "Threads for run()": config.threads,
        "Inline run() below (ms)": config.inline_ms if config.threads else None,
        "Scoring Timeout (ms)": config.scoring_timeout_ms,
        "Max Request Body (bytes)": config.max_body_bytes,
        "CORS for the specified origins": ", ".join(config.cors_origins) or None,
    }
    health_port = config.health_port or config.port
    banner_print(
        "",
        f"basin scoring runtime v{VERSION} (Azure ML inference server contract)",
        "",
        "Server Settings",
        "---------------",
        *(f"{name}: {value}" for name, value in settings.items()),
        "",
        "Server Routes",
        "---------------",
        f"Liveness Probe: GET   {config.host}:{health_port}/",
        f"Score:          POST  {config.host}:{config.port}/score",
        "",
    )
    if not config.model_dir:
        banner_print(
            "The environment variable 'AZUREML_MODEL_DIR' has not been set.",
            "Use the --model_dir command line argument to set it.",
        )
    for flag in config.ignored:
        logger.warning(
            f"{flag} is accepted for compatibility and ignored: basin runs one "
            "process per replica and scales by replicas."
        )


def _uvicorn_config(app: Any, config: RuntimeConfig, **extra: Any) -> Any:
    import uvicorn

    return uvicorn.Config(app, host=config.host, port=config.port, **_UVICORN_OPTIONS, **extra)


class _Pending:
    """Stands in for the app while uvicorn imports its modules (before the script is loaded)."""

    def __init__(self) -> None:
        self.app: ScoringApp | None = None

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


def _serve(config: RuntimeConfig) -> int:
    import uvicorn

    pending = _Pending()
    server_config = _uvicorn_config(pending, config)
    server_config.load()  # import uvicorn's protocol and loop modules before any overlay
    try:
        apply_extensions(config.script_dir)
        pending.app = build_app(config)
    except ExtensionError as ex:
        logger.critical(str(ex))
        return ex.exit_code
    except StartupError as ex:
        return ex.exit_code
    if getattr(server_config, "loaded_app", None) is pending:
        server_config.loaded_app = pending.app  # skip the stand-in on every request
    server = uvicorn.Server(server_config)
    sockets = None
    inherited = _inherited_listener(config)
    if inherited is not None or config.health_port or config.uds:
        sockets = [inherited or server_config.bind_socket()]
        if config.health_port:
            health = _uvicorn_config(pending, config)
            health.port = config.health_port
            sockets.append(health.bind_socket())
        if config.uds:
            try:
                sockets.append(_bind_unix(config.uds))
            except OSError as ex:
                logger.critical(f"Cannot listen on the Unix socket {config.uds}: {ex}")
                return EXIT_STARTUP
    try:
        server.run(sockets=sockets)
    except SystemExit as ex:  # uvicorn exits 3 when it cannot bind
        return ex.code if isinstance(ex.code, int) else EXIT_STARTUP
    return 0 if server.started else EXIT_STARTUP


def _inherited_listener(config: RuntimeConfig) -> socket.socket | None:
    """The socket basin's supervisor bound to ``config.port`` and handed over (a descriptor that
    is not a TCP socket listening on that port is left alone, and the port bound as usual)."""
    if config.listen_fd is None:
        return None
    try:
        sock = socket.socket(fileno=config.listen_fd)
    except OSError:
        logger.warning(f"BASIN_RUNTIME_LISTEN_FD={config.listen_fd} is not an open socket")
        return None
    try:
        listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        port = sock.getsockname()[1] if sock.family in (socket.AF_INET, socket.AF_INET6) else None
    except OSError:
        listening, port = 0, None
    if not listening or sock.type != socket.SOCK_STREAM or port != config.port:
        logger.warning(
            f"BASIN_RUNTIME_LISTEN_FD={config.listen_fd} is not a socket listening on port "
            f"{config.port}: binding the port instead"
        )
        sock.detach()  # not ours to close
        return None
    sock.set_inheritable(False)  # the scoring script's own subprocesses do not hold the port
    return sock


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _bind_unix(path: str) -> socket.socket:
    """A listening Unix socket at ``path`` (one left there is replaced), for this user only."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        os.chmod(path, 0o600)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def app_from_env() -> ScoringApp:
    """App factory for ``--reload`` (runs in uvicorn's reloaded child process)."""
    config = RuntimeConfig.from_json(os.environ[_CONFIG_ENV])
    configure_logging([config.app_root, config.script_dir], _level(config.log_level))
    try:
        return build_app(config)
    except StartupError as ex:
        raise SystemExit(ex.exit_code) from None


def _serve_reload(config: RuntimeConfig) -> int:
    import uvicorn

    try:
        apply_extensions(config.script_dir)
    except ExtensionError as ex:
        logger.critical(str(ex))
        return ex.exit_code
    os.environ[_CONFIG_ENV] = config.to_json()
    uvicorn.run(
        "basin.runtime.cli:app_from_env",
        factory=True,
        reload=True,
        reload_dirs=[config.script_dir],
        host=config.host,
        port=config.port,
        **_UVICORN_OPTIONS,
    )
    return 0


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO


def main(argv: list[str] | None = None) -> int:
    """Run the scoring runtime until it is stopped; returns the process exit code."""
    try:
        config = load_config(argv, os.environ)
    except ConfigError as ex:
        if ex.exit_code:
            print(f"basin.runtime: {ex}", file=sys.stderr)
        return ex.exit_code
    configure_logging([config.app_root, config.script_dir], _level(config.log_level))
    _export_environment(config)
    _banner(config)
    if config.reload:
        return _serve_reload(config)
    return _serve(config)
