"""``basin env``: the variables that send a shell's programs to basin at Azure's host names."""

from __future__ import annotations

import shlex
from typing import Annotated

import typer

from basin.cli import _context
from basin.errors import ServiceUnavailableError


def env(
    unset: Annotated[
        bool, typer.Option("--unset", help="Print the commands that remove them instead.")
    ] = False,
) -> None:
    """Print HTTPS_PROXY, NO_PROXY and the CA bundle variables in shell `export` form.

    Use: eval "$(basin env)". Then azure-storage-blob, azure-identity, azure-keyvault-secrets,
    requests, pip and curl reach basin at https://{account}.blob.core.windows.net,
    https://{vault}.vault.azure.net and https://login.microsoftonline.com unchanged.
    """
    variables = _context.client().info.get("client_environment") or {}
    if not variables:
        raise ServiceUnavailableError(
            "This server runs no forward proxy (it is older than basin's proxy): restart it."
        )
    for name in sorted(variables):
        if unset:
            print(f"unset {name}")
        else:
            print(f"export {name}={shlex.quote(str(variables[name]))}")
