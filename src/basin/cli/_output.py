"""``-o json|yaml|table|tsv|none`` and ``--query`` (JMESPath), as ``az`` prints results.

JSON is the default and needs nothing but the standard library; YAML and JMESPath are imported
only by the commands that ask for them.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from basin.errors import ValidationError

__all__ = ["OutputFormat", "emit", "render"]


class OutputFormat(StrEnum):
    json = "json"
    jsonc = "jsonc"
    yaml = "yaml"
    yamlc = "yamlc"
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


def _cell(value: Any) -> str:
    """One line, whatever the value: a multi-line text shows its first line and an ellipsis."""
    text = _scalar(value).strip()
    first, _, rest = text.partition("\n")
    first = first.replace("\t", " ").rstrip("\r")
    return f"{first} …" if rest.strip() else first


def _table(rows: list[dict[str, Any]]) -> str:
    """az's table: capitalised headers, a dashed rule, left-aligned columns two spaces apart."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    if not columns:
        return ""
    headers = [c[:1].upper() + c[1:] for c in columns]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(h), *(len(line[i]) for line in cells)) for i, h in enumerate(headers)]
    lines = [headers, ["-" * w for w in widths], *cells]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def render(data: Any, output: OutputFormat, query: str | None = None) -> str:
    if query:
        import jmespath
        import jmespath.exceptions

        try:
            data = jmespath.search(query, data)
        except jmespath.exceptions.JMESPathError as exc:
            raise ValidationError(f"--query '{query}' is not valid JMESPath: {exc}") from None
    if output is OutputFormat.none or data is None:
        return ""
    if output in (OutputFormat.json, OutputFormat.jsonc):
        return json.dumps(data, indent=2)
    if output in (OutputFormat.yaml, OutputFormat.yamlc):
        import yaml

        return yaml.safe_dump(data, sort_keys=False).rstrip("\n")
    rows = _rows(data, for_table=output is OutputFormat.table)
    if output is OutputFormat.tsv:
        return "\n".join("\t".join(_scalar(v) for v in row.values()) for row in rows)
    return _table(rows)


def emit(data: Any, output: OutputFormat = OutputFormat.json, query: str | None = None) -> None:
    text = render(data, output, query)
    if text:
        print(text)
