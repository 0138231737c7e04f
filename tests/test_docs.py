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


def _paths(routes: list[Any]) -> Iterator[str]:
    """Every route path, looking into included routers (FastAPI keeps them as wrappers)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _paths(route.original_router.routes)
        elif hasattr(route, "path"):
            yield route.path


def test_every_route_is_documented() -> None:
    platform = Platform(None, SecretVault(b"k" * 32), Installation("s", "t"))  # type: ignore[arg-type]
    documented = DOC.replace("…", "")
    paths = [
        p for p in _paths(create_app(platform).routes) if p.startswith(("/subscriptions", "/basin"))
    ]
    assert len(paths) > 40  # the walk found the routes
    for path in paths:
        # Documented either whole or as its tail after the last parent with a documented prefix.
        tails = [path] + [
            path[match.start() :] for match in re.finditer(r"/[A-Za-z]+/\{[a-z_]+\}", path)
        ]
        assert any(tail in documented for tail in tails), path


def test_every_route_behind_the_proxy_is_documented() -> None:
    from basin.server.keyvault import create_keyvault_app
    from basin.server.login import create_login_app

    platform = Platform(None, SecretVault(b"k" * 32), Installation("s", "t"))  # type: ignore[arg-type]
    section = DOC[DOC.index("Through the forward proxy") :]
    apps = (
        create_keyvault_app(platform, authority="https://login.example"),
        create_login_app(platform),
    )
    paths = [str(getattr(route, "path", "")) for app in apps for route in app.routes]
    assert len(paths) > 20
    for path in paths:
        assert f"{path}`" in section, path


def _packages() -> list[str]:
    """Every package and top-level module of basin, as the package table names them."""
    root = Path(__file__).parents[1] / "src" / "basin"
    names = [p.name + "/" for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    names += [p.name for p in root.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    return sorted(names)


@pytest.mark.parametrize("package", _packages())
def test_every_package_is_in_the_package_table(package: str) -> None:
    table = DOC.split("## Package layout", 1)[1].split("\n## ", 1)[0]
    assert f"| `{package}` |" in table


def test_every_arm_route_is_documented() -> None:
    from basin.server.arm.routes import all_routes

    section = DOC[DOC.index("`https://management.azure.com` (the ARM API") :].replace("…", "")
    templates = [template for _methods, template in all_routes().templates]
    assert len(templates) > 60
    for template in templates:
        tails = [template] + [
            template[match.start() :] for match in re.finditer(r"/[A-Za-z]+/\{[a-z_]+\}", template)
        ]
        assert any(tail in section for tail in tails), template
