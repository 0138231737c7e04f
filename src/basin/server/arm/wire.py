"""ARM's wire format: the resource envelope, ``systemData``, ISO 8601 durations, list pages.

Every resource Azure Resource Manager returns has the same envelope: ``id``, ``name``, ``type``,
optionally ``location``, ``tags``, ``identity``, ``sku``, ``kind``, then ``properties`` in
camelCase and ``systemData`` (who made it and when). basin's entities carry Azure ML's YAML
names (snake_case); the adapters in this package translate in both directions with these helpers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from basin.errors import ValidationError

__all__ = [
    "duration",
    "envelope",
    "page",
    "parse_duration",
    "system_data",
    "text_map",
]


def system_data(created_at: datetime | None) -> dict[str, Any]:
    """``systemData`` as ARM writes it (basin keeps one time; it is both created and modified)."""
    if created_at is None:
        return {}
    stamp = created_at.isoformat().replace("+00:00", "Z")
    if created_at.tzinfo is None:
        stamp += "Z"
    return {
        "createdAt": stamp,
        "createdByType": "Application",
        "lastModifiedAt": stamp,
        "lastModifiedByType": "Application",
    }


def envelope(
    resource_id: str,
    type_: str,
    properties: dict[str, Any] | None,
    *,
    created_at: datetime | None = None,
    **top: Any,
) -> dict[str, Any]:
    """A resource in ARM's envelope; ``top`` adds location, tags, identity, sku, kind (None
    values are left out, as ARM leaves them out)."""
    body: dict[str, Any] = {
        "id": resource_id,
        "name": resource_id.rstrip("/").rsplit("/", 1)[-1],
        "type": type_,
    }
    body.update({k: v for k, v in top.items() if v is not None})
    if properties is not None:
        body["properties"] = {k: v for k, v in properties.items() if v is not None}
    data = system_data(created_at)
    if data:
        body["systemData"] = data
    return body


def page(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A list answer: every item in one page (``nextLink`` null)."""
    return {"value": list(items), "nextLink": None}


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: Any, field: str) -> float:
    """Seconds in an ISO 8601 duration (``PT5S``, ``PT1M30S``, ``P1D``), or a 400 naming the
    field."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or value in ("P", "PT"):
        raise ValidationError(
            f"'{field}' must be an ISO 8601 duration such as PT5S or PT1M30S, not {value!r}."
        )
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return (
        parts.get("d", 0) * 86400 + parts.get("h", 0) * 3600 + parts.get("m", 0) * 60
    ) + parts.get("s", 0)


def duration(seconds: float) -> str:
    """``PT…S`` for a number of seconds (whole seconds without a fraction)."""
    if seconds == int(seconds):
        return f"PT{int(seconds)}S"
    return f"PT{seconds:.3f}".rstrip("0") + "S"


def text_map(value: Any, field: str) -> dict[str, str]:
    """A mapping of text (tags, properties); None is empty; anything else is a 400."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"'{field}' must be an object of names to text.")
    return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()}
