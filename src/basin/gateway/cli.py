"""The gateway as its own process, fed by a routing-table JSON file that it watches.

    python -m basin.gateway --table routes.json [--host 127.0.0.1] [--port 0]
        [--request-log requests.jsonl | -] [--max-body-bytes N] [--token-verifier module:attr]

The control plane rewrites the file (write a temporary file, then rename it over the old one);
the gateway reloads it within ``--reload-interval`` seconds and keeps the old table if the new
one is not valid. The file holds endpoint keys: make it readable by the gateway's user only.
Once listening, the process prints whether its request path runs compiled (``basin.native``),
then ``basin gateway listening on http://HOST:PORT``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import hashlib
import importlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast

from basin import native
from basin.errors import AuthenticationError, ValidationError
from basin.files import replace_file
from basin.gateway.app import DEFAULT_MAX_BODY_BYTES, GatewayApp
from basin.gateway.records import RequestRecord
from basin.gateway.server import bind, front_server, new_event_loop
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
        "--workers",
        type=int,
        default=1,
        help="gateway processes sharing the port (SO_REUSEPORT), each with the routing table",
    )
    parser.add_argument(
        "--cpus",
        type=_cpu_list,
        default=(),
        help="comma-separated CPUs the workers are pinned to, one each in turn (default: none)",
    )
    parser.add_argument(
        "--parent-pid",
        type=int,
        help="exit when this process (the server that started the gateway) dies",
    )
    return parser


def _cpu_list(text: str) -> tuple[int, ...]:
    try:
        cpus = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a list of CPU numbers (e.g. 2,3)"
        ) from None
    if any(cpu < 0 for cpu in cpus):
        raise argparse.ArgumentTypeError(f"'{text}': CPU numbers are 0 or more")
    return cpus


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


_FLUSH_S = 0.05


def _batched_lines(
    write: Callable[[bytes], None],
) -> tuple[Callable[[RequestRecord], None], Callable[[], None]]:
    """A sink that holds records and writes them as JSON lines once per 50 ms; returns (sink,
    flush).

    Serialising a record costs about 2 µs with warm caches, but several times that inside a
    request at low load, when the code and data it needs are cold (a lone client's request
    cost the gateway 5-20 µs more CPU with the log than without it, run to run). Held and
    turned into lines together, outside the requests, each costs about its warm price.
    """
    pending: list[RequestRecord] = []

    def flush() -> None:
        if pending:
            data = b"".join([record.to_json_line() for record in pending])
            pending.clear()
            write(data)

    def sink(record: RequestRecord) -> None:
        pending.append(record)
        if len(pending) == 1:  # the first of a batch: write it, and those after it, soon
            try:
                asyncio.get_running_loop().call_later(_FLUSH_S, flush)
            except RuntimeError:  # not on an event loop: write at once
                flush()

    return sink, flush


def _json_lines(stream: IO[str]) -> tuple[Callable[[RequestRecord], None], Callable[[], None]]:
    """Records as JSON lines on ``stream``, written once per 50 ms. Returns (sink, flush)."""

    def write(data: bytes) -> None:
        stream.write(data.decode())
        stream.flush()

    return _batched_lines(write)


def _appended_lines(path: str) -> tuple[Callable[[RequestRecord], None], Callable[[], None]]:
    """Records as JSON lines appended to ``path``, whole lines per ``write(2)``, once per
    50 ms. Returns (sink, close).

    Several gateway workers append to one file: with ``O_APPEND`` each write lands whole at
    the end, so lines never interleave (a buffered file could split a line between flushes).
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(data: bytes) -> None:
        while data:
            data = data[os.write(fd, data) :]

    sink, flush = _batched_lines(write)

    def close() -> None:
        flush()
        os.close(fd)

    return sink, close


def tag_file(table: Path, worker: int) -> Path:
    """Where worker ``worker`` writes the tag of the table it serves (the server waits on it)."""
    return table.with_name(f"{table.name}.worker-{worker}")


def _note_tag(table: Path, worker: int, tag: str) -> None:
    replace_file(tag_file(table, worker), tag)


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
    worker: int = 0,
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
        _note_tag(path, worker, app.table_tag)
        logger.info("routing table reloaded from %s (%d endpoints)", path, len(table))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.parent_pid:
        _die_with_parent(args.parent_pid)
    try:
        factory = cast(VerifierFactory | None, _load_verifier(args.token_verifier_factory))
        text = args.table.read_text()
        table = RoutingTable(_bind(RoutingTable.routes_from_dict(json.loads(text)), factory))
        verifier = _load_verifier(args.token_verifier)
    except (OSError, ValueError, ValidationError, ImportError, AttributeError) as ex:
        print(f"error: {ex}", file=sys.stderr)
        return 2
    workers = max(1, args.workers)
    outside = sorted(set(args.cpus) - os.sched_getaffinity(0))
    if outside:
        print(
            f"error: --cpus names CPU {outside[0]}, which this process may not use", file=sys.stderr
        )
        return 2
    sock = bind(args.host, args.port, reuse_port=workers > 1)
    port = sock.getsockname()[1]
    primary = os.getpid()
    ready_r, ready_w = os.pipe()
    children: list[int] = []
    worker = 0
    # Fork before any thread or loop exists; each worker then has a socket of its own on the
    # same port, and the kernel spreads connections between them.
    for index in range(1, workers):
        pid = os.fork()
        if pid == 0:
            worker, children = index, []
            sock.close()
            sock = bind(args.host, port, reuse_port=True)
            _die_with_parent(primary)
            break
        children.append(pid)
    if args.cpus:
        os.sched_setaffinity(0, {args.cpus[worker % len(args.cpus)]})
    try:
        return _serve(
            args, table, verifier, factory, text, sock, worker, workers, (ready_r, ready_w)
        )
    finally:
        for child in children:  # the primary stops its workers when it stops
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
        for child in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)
        if worker:
            os._exit(0)  # a forked worker never returns into its parent's caller


def _serve(
    args: argparse.Namespace,
    table: RoutingTable,
    verifier: TokenVerifier | None,
    factory: VerifierFactory | None,
    text: str,
    sock: socket.socket,
    worker: int,
    workers: int,
    ready: tuple[int, int],
) -> int:
    close_log: Callable[[], None] | None = None
    sink = None
    if args.request_log == "-":
        sink, close_log = _json_lines(sys.stdout)
    elif args.request_log:
        sink, close_log = _appended_lines(args.request_log)
    app = GatewayApp(
        table,
        token_verifier=verifier,
        sink=sink,
        max_body_bytes=args.max_body_bytes,
        share=(worker, workers),
    )
    app.table_tag = table_tag(text)
    _note_tag(args.table, worker, app.table_tag)
    host, port = sock.getsockname()[:2]
    server = front_server(app)

    def stop() -> None:
        server.should_exit = True

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):  # a graceful stop, as uvicorn did
            loop.add_signal_handler(signum, stop)
        watcher = asyncio.create_task(
            _watch(
                app,
                table,
                args.table,
                args.reload_interval,
                lambda: server.should_exit,
                factory,
                worker,
            )
        )
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started and worker:
            os.write(ready[1], b"x")  # tell the primary this worker serves
        elif server.started:
            await _all_ready(ready[0], workers - 1)
            how = native.PLAIN_BECAUSE
            print(f"basin gateway request path: {'compiled' if how is None else f'Python ({how})'}")
            cpus = ",".join(map(str, args.cpus))
            print(f"basin gateway workers: {workers}, {f'on CPU {cpus}' if cpus else 'unpinned'}")
            print(f"basin gateway listening on http://{host}:{port}", flush=True)
        await serving
        watcher.cancel()

    loop = new_event_loop()
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()
        sock.close()
        if close_log is not None:
            close_log()
    return 0


async def _all_ready(fd: int, count: int, timeout: float = 60) -> None:
    """Wait until ``count`` workers said they serve (or the timeout: then serve anyway)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = 0
    os.set_blocking(fd, False)
    while seen < count and loop.time() < deadline:
        try:
            seen += len(os.read(fd, 64))
        except BlockingIOError:
            await asyncio.sleep(0.01)
