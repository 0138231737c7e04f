"""Standalone launcher: ``python -m basin.server.blob --root DIR --accounts FILE --port N``.

The accounts file is JSON ``{"account": ["base64 key1", "base64 key2"]}`` (keys live in a file,
never in argv). Without ``--cert``/``--key`` the server speaks plain HTTP, where bearer tokens are
refused. ``--authorizer module:attribute`` names a zero-argument factory of a BearerAuthorizer.
``--proxy-port N --proxy-ca DIR`` also serves basin's forward proxy in the same process, answering
``https://{account}.blob.core.windows.net`` with certificates from the CA in ``DIR`` (as
``basin server`` does; ``bench/blob.py`` measures the two side by side).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import uvicorn

from basin.blobs import LocalBlobStore
from basin.blobs.access import BearerAuthorizer, StaticAccountDirectory
from basin.errors import ValidationError
from basin.server.blob.app import DEFAULT_AUTHORIZATION_URI, create_blob_app
from basin.server.blob.protocol import MetadataCaseProtocol
from basin.tls import LeafCertificates, ensure_certificate_authority, load_server_certificate


def _load_authorizer(spec: str) -> BearerAuthorizer:
    module_name, _, attribute = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute or "create_authorizer")
    authorizer: BearerAuthorizer = factory()
    return authorizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m basin.server.blob", description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="folder of the blob store")
    parser.add_argument("--accounts", type=Path, required=True, help="JSON file: name -> keys")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=10000)
    parser.add_argument("--cert", type=Path, help="PEM certificate (chain) for HTTPS")
    parser.add_argument("--key", type=Path, help="PEM private key for HTTPS")
    parser.add_argument("--authorizer", help="module:factory returning a BearerAuthorizer")
    parser.add_argument("--authorization-uri", default=DEFAULT_AUTHORIZATION_URI)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--proxy-port", type=int, help="also serve the forward proxy here")
    parser.add_argument("--proxy-ca", type=Path, help="folder of the CA the proxy issues from")
    args = parser.parse_args(argv)

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        accounts = StaticAccountDirectory(json.loads(args.accounts.read_text()))
        if (args.cert is None) != (args.key is None):
            raise ValidationError("--cert and --key go together")
        if args.cert is not None:
            load_server_certificate(args.cert, args.key)
    except (OSError, ValueError, ValidationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    authorizer = _load_authorizer(args.authorizer) if args.authorizer else None
    store = LocalBlobStore(args.root)
    app = create_blob_app(store, accounts, authorizer, authorization_uri=args.authorization_uri)
    options = {
        "log_level": args.log_level,
        "access_log": False,  # uvicorn's access log would print SAS signatures from query strings
        "date_header": False,  # the app sends its own Date
        "server_header": False,
        "lifespan": "off",
        # Idle keep-alive TLS connections otherwise hold a graceful shutdown until the client
        # closes them; every committed change is already durable, so cutting them is safe.
        "timeout_graceful_shutdown": 3,
    }
    blob_config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=args.cert,
        ssl_keyfile=args.key,
        loop="uvloop",
        http=MetadataCaseProtocol,  # httptools, keeping how metadata names were spelled
        **options,
    )
    if args.proxy_port is None:
        uvicorn.Server(blob_config).run()
    else:
        from basin.server.proxy import Passthrough, azure_hosts, proxy_config

        if args.proxy_ca is None:
            print("error: --proxy-port needs --proxy-ca", file=sys.stderr)
            return 2
        ca = ensure_certificate_authority(args.proxy_ca)
        proxy = proxy_config(
            azure_hosts(blob=app),
            Passthrough(),
            LeafCertificates(ca, args.proxy_ca / "proxy"),
            host=args.host,
            port=args.proxy_port,
            loop="uvloop",
            **options,
        )
        import uvloop

        uvloop.run(_serve_both([_QuietServer(blob_config), _QuietServer(proxy)]))
    store.close()
    return 0


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals to ``_serve_both`` (it runs two)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


async def _serve_both(servers: list[uvicorn.Server]) -> None:
    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    await asyncio.gather(*(server.serve() for server in servers))


if __name__ == "__main__":
    sys.exit(main())
