"""Authorisation: may this principal do this action on this resource? Read fresh every time."""

from __future__ import annotations

from basin.identity import check_access, require_access
from basin.services import role_assignments
from basin.services.platform import Platform

__all__ = ["authorize", "is_allowed"]


def is_allowed(
    platform: Platform, principal_id: str, action: str, resource_id: str, *, data: bool = False
) -> bool:
    assignments = role_assignments.all_assignments(platform.store)
    return check_access(assignments, principal_id, action, resource_id, data=data).allowed


def authorize(
    platform: Platform, principal_id: str, action: str, resource_id: str, *, data: bool = False
) -> None:
    """Raise AuthorizationError (with the roles that would grant it) unless allowed."""
    assignments = role_assignments.all_assignments(platform.store)
    require_access(assignments, principal_id, action, resource_id, data=data)
