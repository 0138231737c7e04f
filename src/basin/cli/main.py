"""The ``basin`` command: sub-apps per resource, one error printer, az-style exit codes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from basin.cli import (
    _context,
    account,
    ad,
    configure,
    connections,
    env,
    environments,
    groups,
    identities,
    keyvault,
    models,
    online,
    ray,
    roles,
    serve,
    server,
    storage,
    workspaces,
)
from basin.errors import BasinError

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="basin",
    help="basin: a self-hosted machine-learning platform that speaks Azure ML v2.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    server_url: Annotated[
        str | None, typer.Option("--server", envvar="BASIN_SERVER", help="Server URL.")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="BASIN_TOKEN", help="API token.", show_default=False),
    ] = None,
) -> None:
    _context.state["server"] = server_url
    _context.state["token"] = token


app.add_typer(groups.app, name="group")
app.add_typer(workspaces.app, name="workspace")
app.add_typer(storage.app, name="storage")
app.add_typer(identities.app, name="identity")
app.add_typer(keyvault.app, name="keyvault")
app.add_typer(models.app, name="model")
app.add_typer(connections.app, name="connection")
app.add_typer(environments.app, name="environment")
app.add_typer(online.endpoint_app, name="online-endpoint")
app.add_typer(online.deployment_app, name="online-deployment")
app.add_typer(roles.app, name="role")
app.add_typer(ad.app, name="ad")
app.add_typer(account.app, name="account")
app.add_typer(ray.app, name="ray")
app.command("configure")(configure.configure)
app.command("env")(env.env)
app.command("server")(server.server)
app.command("serve")(serve.serve)


#: Options that take several space-separated values after one flag, as in az (--tags a=1 b=2).
MULTI_VALUE_OPTIONS = ("--tags", "--defaults", "--secret-permissions")


def spread_multi_values(argv: list[str]) -> list[str]:
    """Turn ``--tags a=1 b=2`` into ``--tags a=1 --tags b=2`` (typer takes one value a flag)."""
    result: list[str] = []
    current: str | None = None
    for arg in argv:
        if arg in MULTI_VALUE_OPTIONS:
            current = arg
            result.append(arg)
            continue
        if current is not None and not arg.startswith("-") and result[-1] != current:
            result.append(current)
        elif arg.startswith("-"):
            current = None
        result.append(arg)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors print one line to stderr and exit 1 (usage errors exit 2)."""
    args = spread_multi_values(sys.argv[1:] if argv is None else argv)
    try:
        # Without standalone mode, click hands back the code of a typer.Exit instead of raising.
        result = app(args=args, standalone_mode=False, prog_name="basin")
        if isinstance(result, int) and not isinstance(result, bool):
            return result
    except BasinError as error:
        print(f"ERROR: ({error.code}) {error.message}", file=sys.stderr)
        return 1
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        print("Aborted.", file=sys.stderr)
        return 1
    except typer.TyperException as error:
        show = getattr(error, "show", None)
        if show is not None:
            show()
        else:
            print(f"ERROR: {error.format_message()}", file=sys.stderr)
        return error.exit_code
    finally:
        _context.close_clients()
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
