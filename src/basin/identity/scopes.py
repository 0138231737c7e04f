"""Scopes: which resource ids a role assignment at a given scope reaches."""

from __future__ import annotations

__all__ = [
    "blob_scope",
    "container_scope",
    "normalize_scope",
    "scope_covers",
]


def normalize_scope(scope: str) -> str:
    """The form scopes are compared in: lowercase, one leading ``/``, no empty segments.

    Azure treats resource ids case-insensitively; ``/`` is the root scope (everything).
    """
    segments = _segments(scope)
    return "/" + "/".join(segments)


def _segments(value: str) -> list[str]:
    return [s for s in value.strip().lower().split("/") if s]


def scope_covers(scope: str, resource_id: str) -> bool:
    """Whether an assignment at ``scope`` applies to ``resource_id``.

    A scope covers itself and everything below it, compared by whole path segments without
    regard to case: ``/subscriptions/x/resourceGroups/rg`` covers ``.../resourceGroups/rg/
    providers/...`` but not ``.../resourceGroups/rg2``. The root scope ``/`` covers everything;
    an empty scope covers nothing.
    """
    if not scope.strip():
        return False
    outer = _segments(scope)
    inner = _segments(resource_id)
    return len(outer) <= len(inner) and inner[: len(outer)] == outer


def container_scope(storage_account_id: str, container: str) -> str:
    """The resource id of a blob container, which is also the scope for container-level roles."""
    return f"{storage_account_id.rstrip('/')}/blobServices/default/containers/{container}"


def blob_scope(storage_account_id: str, container: str, blob: str) -> str:
    """The resource id data actions on one blob are checked against (below its container)."""
    return f"{container_scope(storage_account_id, container)}/blobs/{blob.lstrip('/')}"
