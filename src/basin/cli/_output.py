"""``-o json|yaml|table|tsv`` and ``--query`` (JMESPath), as ``az`` prints results."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import jmespath
import jmespath.exceptions
import yaml
from rich.console import Console
from rich.table import Table

from basin.errors import ValidationError

__all__ = ["OutputFormat", "emit"]


class OutputFormat(StrEnum):
    json = "json"
    yaml = "yaml"
    table = "table"
    tsv = "tsv"
    none = "none"


def _fits_table(key: str, value: Any) -> bool:
    # Like az's table transformers: short scalar columns only; ids and URLs belong to json.
    if key == "id" or isinstance(value, dict | list):
        return False
    return not (isinstance(value, str) and value.startswith(("/subscriptions/", "http")))


def _rows(data: Any, *, for_table: bool = False) -> list[dict[str, Any]]:
    if isinstance(data, list) and not any(isinstance(item, dict | list) for item in data):
        # A list of scalars (e.g. --query "[name, location]") is one row, as az prints it.
        return [{str(i): item for i, item in enumerate(data)}]
    items = data if isinstance(data, list) else [data]
    rows = []
    for item in items:
        if isinstance(item, dict):
            keep = _fits_table if for_table else (lambda _k, v: not isinstance(v, dict | list))
            rows.append({k: v for k, v in item.items() if keep(k, v)})
        else:
            rows.append({"Result": item})
    return rows


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def render(data: Any, output: OutputFormat, query: str | None = None) -> str:
    if query:
        try:
            data = jmespath.search(query, data)
        except jmespath.exceptions.JMESPathError as exc:
            raise ValidationError(f"--query '{query}' is not valid JMESPath: {exc}") from None
    if output is OutputFormat.none or data is None:
        return ""
    if output is OutputFormat.json:
        return json.dumps(data, indent=2)
    if output is OutputFormat.yaml:
        return yaml.safe_dump(data, sort_keys=False).rstrip("\n")
    rows = _rows(data, for_table=output is OutputFormat.table)
    if output is OutputFormat.tsv:
        return "\n".join("\t".join(_scalar(v) for v in row.values()) for row in rows)
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    table = Table(*columns, box=None, header_style="bold")
    for row in rows:
        table.add_row(*(_scalar(row.get(c)) for c in columns))
    console = Console(width=200, force_terminal=False, color_system=None)
    with console.capture() as capture:
        console.print(table)
    return capture.get().rstrip("\n")


def emit(data: Any, output: OutputFormat = OutputFormat.json, query: str | None = None) -> None:
    text = render(data, output, query)
    if text:
        print(text)
