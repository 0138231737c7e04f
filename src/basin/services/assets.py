"""What versioned workspace assets (models, environments, code) share: ids, versions, references."""

from __future__ import annotations

import re

from basin.errors import ValidationError
from basin.store import Reader

__all__ = ["asset_id", "next_version", "parse_reference"]

_REF = re.compile(r"^(?:azureml:)?(?P<name>[^:@/]+)(?::(?P<version>[^:@/]+)|@(?P<label>[^:@/]+))?$")


def asset_id(workspace_id: str, kind: str, name: str, version: str | None = None) -> str:
    """``{workspace}/{kind}/{name}[/versions/{version}]``, e.g. kind ``models``."""
    base = f"{workspace_id}/{kind}/{name}"
    return base if version is None else f"{base}/versions/{version}"


def next_version(reader: Reader, workspace_id: str, kind: str, name: str) -> str:
    """One more than the highest numeric version so far (``"1"`` for the first)."""
    numbers = [
        int(row.body["version"])
        for row in reader.list(under=asset_id(workspace_id, kind, name), include_deleted=True)
        if str(row.body.get("version", "")).isdigit()
    ]
    return str(max(numbers, default=0) + 1)


def parse_reference(reference: str, kind: str) -> tuple[str, str | None, str | None]:
    """``azureml:name:version`` / ``azureml:name@latest`` / ``name:version`` -> (name, version, label)."""
    match = _REF.match(reference.strip())
    if match is None:
        raise ValidationError(
            f"'{reference}' is not a {kind} reference: use azureml:<name>:<version> or "
            "azureml:<name>@latest."
        )
    label = match["label"]
    if label is not None and label != "latest":
        raise ValidationError(f"Unknown label '@{label}' in '{reference}': only @latest exists.")
    return match["name"], match["version"], label
