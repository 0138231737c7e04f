"""``basin server``: run the control plane."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def server(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Management API port (0: any free).")] = None,
    blob_port: Annotated[int | None, typer.Option(help="Blob service port (0: any free).")] = None,
    gateway_port: Annotated[
        int | None, typer.Option(help="Scoring gateway port (0: any free).")
    ] = None,
    proxy_port: Annotated[
        int | None, typer.Option(help="Forward proxy port, Azure's host names (0: any free).")
    ] = None,
    home: Annotated[Path | None, typer.Option(help="State folder (default ~/.basin).")] = None,
    database_url: Annotated[str | None, typer.Option(help="Metadata store URL.")] = None,
    compute: Annotated[
        str | None, typer.Option(help="Where replicas run: local:// or ray://HOST:PORT.")
    ] = None,
) -> None:
    """Run the basin server (management API, blob service, proxy) until stopped (Ctrl-C/SIGTERM)."""
    from basin.server.main import run_server
    from basin.settings import load_server_settings

    overrides: dict[str, Any] = {
        k: v
        for k, v in {
            "host": host,
            "port": port,
            "blob_port": blob_port,
            "gateway_port": gateway_port,
            "proxy_port": proxy_port,
            "home": home,
            "database_url": database_url,
            "compute": compute,
        }.items()
        if v is not None
    }
    run_server(load_server_settings(**overrides))
