"""Options shared by commands, spelled as ``az`` spells them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from basin.cli._output import OutputFormat

Name = Annotated[str, typer.Option("--name", "-n", help="Name of the resource.")]
OptName = Annotated[str | None, typer.Option("--name", "-n", help="Name of the resource.")]
Group = Annotated[
    str | None,
    typer.Option("--resource-group", "-g", help="Resource group (default: basin configure)."),
]
Workspace = Annotated[
    str | None,
    typer.Option("--workspace-name", "-w", help="Workspace (default: basin configure)."),
]
File = Annotated[Path | None, typer.Option("--file", "-f", help="YAML file of the resource.")]
Set = Annotated[
    list[str] | None,
    typer.Option("--set", help="Set fields: --set path.to.field=value [path[0].field=value ...]."),
]
Add = Annotated[
    list[str] | None,
    typer.Option("--add", help="Append to a list: --add path.to.list key=value [key=value ...]."),
]
Remove = Annotated[
    list[str] | None,
    typer.Option("--remove", help="Remove a field or a list item: --remove path [index]."),
]
ForceString = Annotated[
    bool,
    typer.Option("--force-string", help="Keep --set/--add values as text (no JSON parsing)."),
]
Tags = Annotated[list[str] | None, typer.Option("--tags", help="Tags: --tags a=1 b=2.")]
Output = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Output format.", case_sensitive=False)
]
Query = Annotated[str | None, typer.Option("--query", help="JMESPath query over the output.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
NoWait = Annotated[
    bool, typer.Option("--no-wait", help="Return at once; 'show' reports the provisioning state.")
]
Ids = Annotated[
    list[str] | None,
    typer.Option("--ids", help="One or more resource ids (instead of names, group, workspace)."),
]
Local = Annotated[
    bool, typer.Option("--local", help="On this machine (as az's local endpoints), no server.")
]


def flag_params(name: str | None, set_: list[str] | None, **fields: Any) -> list[dict[str, Any]]:
    """Flags and ``--set`` items as ``params_override``, applied to a file before it is checked
    (as az does): ``-n``, then the named fields, then ``--set`` (which wins)."""
    from basin.entities import parse_overrides

    params: list[dict[str, Any]] = [{"name": name}] if name else []
    params += [{key: value} for key, value in fields.items() if value is not None]
    return params + parse_overrides(set_)
