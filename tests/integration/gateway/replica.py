"""A stand-in replica for the gateway tests, run as its own process: python replica.py --name N.

Raw ASGI on uvicorn. ``/score`` (any other path too) echoes the request body; query parameters
change that: ``status=N`` answers N, ``sleep=S`` waits S seconds, ``hold=1`` waits until
``POST /_release``, ``headers=1`` answers the request headers as JSON, ``size=N`` answers N bytes,
``stream=1`` sends a first piece, waits for ``/_release``, then the rest. ``--delay``/``--status``/``--hold``
set defaults for every scoring call (a slow or failing mirror). ``GET /_stats`` counts calls,
requests in flight, requests whose client went away, and the bytes of bodies still arriving;
``POST /_reset`` clears it; ``unix_calls`` counts the calls that came over ``--uds PATH``. Prints
``PORT <n>`` once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from typing import Any
from urllib.parse import parse_qs

import uvicorn


class Replica:
    def __init__(self, name: str, delay: float, status: int, hold: bool) -> None:
        self.name = name
        self.hold = hold
        self.delay = delay
        self.status = status
        self.release = asyncio.Event()
        self.reset()

    def reset(self) -> None:
        self.stats: dict[str, Any] = {
            "calls": 0,
            "in_flight": 0,
            "finished": 0,
            "disconnected": 0,
            "receiving_bytes": 0,
            "paths": {},
            "last_headers": {},
            "unix_calls": 0,
        }
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/_stats":
            await reply(send, 200, json.dumps(self.stats).encode())
            return
        if path == "/_release":
            self.release.set()
            self.release = asyncio.Event()
            await reply(send, 200, b"{}")
            return
        if path == "/_reset":
            self.reset()
            await reply(send, 200, b"{}")
            return
        stats = self.stats
        stats["calls"] += 1
        server = scope.get("server")
        if not server or server[1] is None:  # uvicorn's for a Unix socket: (path, None)
            stats["unix_calls"] += 1
        stats["paths"][path] = stats["paths"].get(path, 0) + 1
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        stats["last_headers"] = headers
        stats["in_flight"] += 1
        try:
            await self.score(scope, receive, send, headers)
        finally:
            stats["in_flight"] -= 1
            stats["finished"] += 1

    async def score(self, scope, receive, send, headers) -> None:
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            self.stats["receiving_bytes"] = sum(map(len, chunks))
            if not message.get("more_body", False):
                break
        self.stats["receiving_bytes"] = 0
        body = b"".join(chunks)
        waiting: Any = None
        if "hold" in query or "stream" in query or self.hold:
            waiting = self.release.wait()
        elif "sleep" in query or self.delay:
            waiting = asyncio.sleep(float(query.get("sleep", self.delay)))
        held = waiting is not None and "stream" not in query
        if held and not await wait_or_disconnect(waiting, receive):
            self.stats["disconnected"] += 1
            return
        status = int(query.get("status", self.status))
        extra = [(b"x-replica", self.name.encode())]
        if "headers" in query:
            body = json.dumps(headers).encode()
        elif "size" in query:
            body = b"x" * int(query["size"])
        elif status != 200:
            body = json.dumps({"replica": self.name, "status": status}).encode()
        if "stream" in query:
            await send({"type": "http.response.start", "status": status, "headers": extra})
            await send({"type": "http.response.body", "body": b"first|", "more_body": True})
            if not await wait_or_disconnect(waiting, receive):
                self.stats["disconnected"] += 1
                return
            await send({"type": "http.response.body", "body": b"second"})
            return
        await reply(send, status, body, extra)


async def wait_or_disconnect(waiting, receive) -> bool:
    """Wait for ``waiting``; False if the client went away first."""
    work = asyncio.ensure_future(waiting)
    gone = asyncio.ensure_future(receive())
    done, _ = await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
    if work in done:
        gone.cancel()
        return True
    work.cancel()
    return False


async def reply(send, status: int, body: bytes, extra=()) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, *extra]})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--hold", action="store_true", help="hold every call until released")
    parser.add_argument("--uds", help="also serve on this Unix socket")
    args = parser.parse_args()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sockets = [sock]
    if args.uds:
        unix = socket.socket(socket.AF_UNIX)
        unix.bind(args.uds)
        sockets.append(unix)
    config = uvicorn.Config(
        Replica(args.name, args.delay, args.status, args.hold),
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        serving = asyncio.create_task(server.serve(sockets=sockets))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        print(f"PORT {sock.getsockname()[1]}", flush=True)
        await serving

    asyncio.run(run())
    sys.exit(0)


if __name__ == "__main__":
    main()
