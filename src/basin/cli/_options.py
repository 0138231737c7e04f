"""Options shared by commands, spelled as ``az`` spells them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basin.cli._output import OutputFormat

Name = Annotated[str, typer.Option("--name", "-n", help="Name of the resource.")]
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
    typer.Option("--set", help="Override a field of the file: path.to.field=value (repeatable)."),
]
Tags = Annotated[list[str] | None, typer.Option("--tags", help="Tags as key=value (repeatable).")]
Output = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="Output format.", case_sensitive=False)
]
Query = Annotated[str | None, typer.Option("--query", help="JMESPath query over the output.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
