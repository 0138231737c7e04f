"""The ``basin`` command: sub-apps per resource, one error printer, az-style exit codes.

Each command group lives in its own module and is imported only when the command line names
it (``basin group list`` imports ``basin.cli.groups`` and nothing of the other groups): a CLI
call should pay for what it runs, not for every resource basin knows.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any

import typer

from basin.cli import _abbrev, _argv, _context
from basin.errors import BasinError

__all__ = ["GROUPS", "build_app", "main", "run"]

#: name -> (module, attribute, help): the command groups, loaded on demand.
GROUPS: dict[str, tuple[str, str, str]] = {
    "group": ("basin.cli.groups", "app", "Resource groups."),
    "workspace": ("basin.cli.workspaces", "app", "Azure ML workspaces."),
    "storage": ("basin.cli.storage", "app", "Storage accounts, containers and blobs."),
    "identity": ("basin.cli.identities", "app", "User-assigned managed identities."),
    "keyvault": ("basin.cli.keyvault", "app", "Key vaults and their secrets."),
    "model": ("basin.cli.models", "app", "Models (versioned, in the workspace's storage)."),
    "connection": (
        "basin.cli.connections",
        "app",
        "Workspace connections (private feeds with tokens, ...).",
    ),
    "environment": (
        "basin.cli.environments",
        "app",
        "Environments (built with uv, cached by content).",
    ),
    "online-endpoint": ("basin.cli.online", "endpoint_app", "Managed online endpoints."),
    "online-deployment": ("basin.cli.online", "deployment_app", "Online deployments."),
    "role": ("basin.cli.roles", "app", "Role definitions and assignments."),
    "ad": ("basin.cli.ad", "app", "Users and service principals."),
    "account": ("basin.cli.account", "app", "The installation and the signed-in principal."),
    "config": ("basin.cli.configure", "config_app", "The CLI's configuration (as az config)."),
    "ray": ("basin.cli.ray", "app", "A local Ray head for trying the Ray back end."),
}
#: name -> (module, function, help): single commands.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "configure": (
        "basin.cli.configure",
        "configure",
        "Set (or show) the defaults used when -g / -w are left out.",
    ),
    "env": (
        "basin.cli.env",
        "env",
        "Print the variables that send a shell's programs to basin at Azure's host names.",
    ),
    "server": ("basin.cli.server", "server", "Run the basin server (API, blob service, gateway)."),
    "serve": ("basin.cli.serve", "serve", "Serve a scoring script locally, as azmlinfsrv does."),
}
#: Root options that take a value (to find the command word after them).
_ROOT_VALUED = ("--server", "--token")


def _root(
    server_url: Annotated[
        str | None, typer.Option("--server", envvar="BASIN_SERVER", help="Server URL.")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="BASIN_TOKEN", help="API token.", show_default=False),
    ] = None,
) -> None:
    """basin: a self-hosted machine-learning platform that speaks Azure ML v2."""
    _context.state["server"] = server_url
    _context.state["token"] = token


def _command_word(argv: list[str]) -> str | None:
    args = iter(argv)
    for arg in args:
        if arg in _ROOT_VALUED:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def build_app(word: str | None = None) -> typer.Typer:
    """The root app with the group or command ``word`` loaded; ``"*"`` loads every one.

    The others are placeholders that carry only their help text, for the root's help and
    usage errors."""
    app = typer.Typer(
        name="basin",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode=None,
    )
    app.callback()(_root)
    for name, (module, attribute, help_text) in GROUPS.items():
        if word in ("*", name):
            sub = getattr(importlib.import_module(module), attribute)
        else:
            sub = typer.Typer(rich_markup_mode=None)
        app.add_typer(sub, name=name, help=help_text)
    for name, (module, function, help_text) in COMMANDS.items():
        if word in ("*", name):
            app.command(name, help=help_text)(getattr(importlib.import_module(module), function))
        else:
            app.command(name, help=help_text)(_placeholder)
    return app


def _placeholder() -> None:
    """Never run: stands for a command that was not loaded."""


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole CLI, every group loaded (docs and tests walk it)
        return build_app("*")
    raise AttributeError(f"module 'basin.cli.main' has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors print one line to stderr and exit 1 (usage errors exit 2)."""
    line = list(sys.argv[1:] if argv is None else argv)
    # Again only when an abbreviated option was written out: at most once per word of the line.
    for _ in range(len(line) + 1):
        code, expanded = _run(line)
        if expanded is None:
            return code
        if expanded == line:
            break
        line = expanded
    # (the line itself is not echoed: it may hold a token or a password)
    print("ERROR: the command line's options could not be read; see --help.", file=sys.stderr)
    return 2


def _run(line: list[str]) -> tuple[int, list[str] | None]:
    """(exit code, None), or (2, the line with an abbreviated option written out in full)."""
    prepared = _argv.prepare(line)
    _context.begin(prepared)
    word = _command_word(prepared.argv)
    try:
        app = build_app(word)
        # Without standalone mode, click hands back the code of a typer.Exit instead of raising.
        result = app(args=prepared.argv, standalone_mode=False, prog_name="basin")
        if isinstance(result, int) and not isinstance(result, bool):
            return result, None
    except BasinError as error:
        print(f"ERROR: ({error.code}) {error.message}", file=sys.stderr)
        return 1, None
    except typer.Exit as done:
        return done.exit_code, None
    except typer.Abort:
        print("Aborted.", file=sys.stderr)
        return 1, None
    except typer.TyperException as error:
        try:
            expanded = _abbrev.expand(error, line)
        except BasinError as ambiguous:
            print(f"ERROR: {ambiguous.message}", file=sys.stderr)
            return 2, None
        if expanded is not None:
            return 2, expanded
        show = getattr(error, "show", None)
        if show is not None:
            show()
        else:
            print(f"ERROR: {error.format_message()}", file=sys.stderr)
        return error.exit_code, None
    finally:
        _context.end()
    return 0, None


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
