"""docs/architecture.md names every CLI command, server setting and management route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from basin.cli.main import app
from basin.keyvault import SecretVault
from basin.server.app import create_app
from basin.services.platform import Installation, Platform
from basin.settings import ServerSettings

DOC = (Path(__file__).parents[1] / "docs" / "architecture.md").read_text()


def _commands(command: Any, prefix: list[str]) -> Iterator[str]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _commands(sub, [*prefix, name])
    else:
        yield " ".join(prefix)


@pytest.mark.parametrize("command", sorted(_commands(typer.main.get_command(app), ["basin"])))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`{command}`" in DOC


@pytest.mark.parametrize("field", sorted(ServerSettings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    assert f"`BASIN_{field.upper()}`" in DOC


def test_every_route_is_documented() -> None:
    platform = Platform(None, SecretVault(b"k" * 32), Installation("s", "t"))  # type: ignore[arg-type]
    documented = DOC.replace("…", "")
    for route in create_app(platform).routes:
        path = getattr(route, "path", "")
        if not path.startswith(("/subscriptions", "/basin")):
            continue
        tail = re.sub(r"^.*/(workspaces|storageAccounts)/\{name\}", r"/\1/{name}", path)
        assert path in documented or tail in documented, path
