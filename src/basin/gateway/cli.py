"""The gateway as its own process, fed by a routing-table JSON file that it watches.

    python -m basin.gateway --table routes.json [--host 127.0.0.1] [--port 0]
        [--request-log requests.jsonl | -] [--max-body-bytes N] [--token-verifier module:attr]

The control plane rewrites the file (write a temporary file, then rename it over the old one);
the gateway reloads it within ``--reload-interval`` seconds and keeps the old table if the new
one is not valid. The file holds endpoint keys: make it readable by the gateway's user only.
Once listening, the process prints ``basin gateway listening on http://HOST:PORT``.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import hashlib
import importlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from basin.errors import AuthenticationError, ValidationError
from basin.gateway.app import DEFAULT_MAX_BODY_BYTES, GatewayApp
from basin.gateway.records import RequestRecord
from basin.gateway.server import bind, new_event_loop, uvicorn_server
from basin.gateway.table import EndpointRoute, RoutingTable, TokenVerifier

__all__ = ["main"]

_PR_SET_PDEATHSIG = 1
logger = logging.getLogger("basin.gateway")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m basin.gateway", description=__doc__)
    parser.add_argument("--table", type=Path, required=True, help="routing table JSON file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--request-log", help="append one JSON line per request here ('-': stdout)")
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument("--reload-interval", type=float, default=0.5, help="seconds")
    parser.add_argument(
        "--token-verifier",
        help="'module:attribute' naming verify(token) for aml_token endpoints",
    )
    parser.add_argument(
        "--token-verifier-factory",
        help="'module:attribute' naming factory(endpoint_name) -> verify(token), so that each "
        "aml_token endpoint gets a verifier of its own",
    )
    parser.add_argument(
        "--parent-pid",
        type=int,
        help="exit when this process (the server that started the gateway) dies",
    )
    return parser


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGTERM us when the parent dies (a SIGKILLed server leaves no gateway)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # it died before the signal was armed
        sys.exit(0)


#: Makes the check for one endpoint from the audience (scoring URI) its tokens must carry.
VerifierFactory = Callable[[str], TokenVerifier]


def _bind(routes: list[EndpointRoute], factory: VerifierFactory | None) -> list[EndpointRoute]:
    """Give each aml_token endpoint its own verifier, for the audience its route names (routes
    from JSON carry none); one that names no audience accepts no token."""
    if factory is None:
        return routes
    return [
        route.evolve(
            token_verifier=factory(route.token_audience) if route.token_audience else _refuse
        )
        if route.auth_mode == "aml_token"
        else route
        for route in routes
    ]


def _refuse(token: str) -> None:
    raise AuthenticationError("This endpoint's route names no token audience.")


def _load_verifier(spec: str | None) -> TokenVerifier | None:
    if not spec:
        return None
    module, _, attribute = spec.partition(":")
    verifier = getattr(importlib.import_module(module), attribute)
    if not callable(verifier):
        raise ValidationError(f"--token-verifier {spec!r} is not callable")
    return verifier  # type: ignore[no-any-return]


def _json_lines(stream: IO[str]) -> Callable[[RequestRecord], None]:
    """One JSON line per record; flushed once per 50 ms, not per request (a syscall each)."""
    pending = False

    def flush() -> None:
        nonlocal pending
        pending = False
        stream.flush()

    def write(record: RequestRecord) -> None:
        nonlocal pending
        stream.write(json.dumps(record.to_dict()) + "\n")
        if not pending:
            pending = True
            try:
                asyncio.get_running_loop().call_later(0.05, flush)
            except RuntimeError:  # not on an event loop: flush at once
                flush()

    return write


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def table_tag(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def _watch(
    app: GatewayApp,
    table: RoutingTable,
    path: Path,
    interval: float,
    stop: Callable[[], bool],
    factory: VerifierFactory | None = None,
) -> None:
    """Reload the table when the file changes; keep the old one if the new one is bad."""
    seen = _stamp(path)
    while not stop():
        await asyncio.sleep(interval)
        stamp = _stamp(path)
        if stamp is None or stamp == seen:
            continue
        seen = stamp
        try:
            text = path.read_text()
            routes = RoutingTable.routes_from_dict(json.loads(text))
        except (OSError, ValueError, ValidationError) as ex:
            logger.error("routing table %s not reloaded: %s", path, ex)
            continue
        table.replace_all(_bind(routes, factory))
        app.table_tag = table_tag(text)
        logger.info("routing table reloaded from %s (%d endpoints)", path, len(table))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.parent_pid:
        _die_with_parent(args.parent_pid)
    try:
        factory = _load_verifier(args.token_verifier_factory)
        text = args.table.read_text()
        table = RoutingTable(
            _bind(RoutingTable.routes_from_dict(json.loads(text)), factory)  # type: ignore[arg-type]
        )
        verifier = _load_verifier(args.token_verifier)
    except (OSError, ValueError, ValidationError, ImportError, AttributeError) as ex:
        print(f"error: {ex}", file=sys.stderr)
        return 2
    log_file: IO[str] | None = None
    sink = None
    if args.request_log == "-":
        sink = _json_lines(sys.stdout)
    elif args.request_log:
        log_file = open(args.request_log, "a", encoding="utf-8")  # noqa: SIM115 - open for the run
        sink = _json_lines(log_file)
    app = GatewayApp(table, token_verifier=verifier, sink=sink, max_body_bytes=args.max_body_bytes)
    app.table_tag = table_tag(text)
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    server = uvicorn_server(app)

    async def run() -> None:
        watcher = asyncio.create_task(
            _watch(
                app,
                table,
                args.table,
                args.reload_interval,
                lambda: server.should_exit,
                factory,  # type: ignore[arg-type]
            )
        )
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            print(f"basin gateway listening on http://{host}:{port}", flush=True)
        await serving
        watcher.cancel()

    loop = new_event_loop()
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()
        sock.close()
        if log_file is not None:
            log_file.close()
    return 0
