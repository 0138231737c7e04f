"""Access decisions over role assignments, and the words that explain a refusal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from basin.errors import AuthorizationError
from basin.identity.actions import action_matches
from basin.identity.roles import Permission, RoleDefinition, builtin_roles, find_role
from basin.identity.scopes import scope_covers

__all__ = [
    "AccessDecision",
    "Assignment",
    "RoleAssignment",
    "check_access",
    "is_allowed",
    "require_access",
    "role_grants",
    "roles_granting",
]


class Assignment(Protocol):
    """What access checks read from a role assignment (the store's records fit as they are)."""

    @property
    def principal_id(self) -> str: ...
    @property
    def role_definition_id(self) -> str: ...
    @property
    def scope(self) -> str: ...


@dataclass(frozen=True)
class RoleAssignment:
    """A plain role assignment: ``principal_id`` holds role ``role_definition_id`` at ``scope``.

    ``role_definition_id`` may be a GUID, a full role definition id or a role name.
    """

    principal_id: str
    role_definition_id: str
    scope: str


@dataclass(frozen=True)
class AccessDecision:
    """The outcome of one access check, with what is needed to explain it."""

    allowed: bool
    principal_id: str
    action: str
    resource_id: str
    data: bool
    granted_by: Assignment | None
    granted_role: RoleDefinition | None
    candidate_roles: tuple[str, ...]  # roles that would grant the action, narrowest first

    @property
    def summary(self) -> str:
        """One line for other errors to quote: ``identity X lacks role AcrPull at scope Y``."""
        if self.allowed:
            return self.message
        if not self.candidate_roles:
            return (
                f"identity '{self.principal_id}' lacks permission '{self.action}' at scope "
                f"'{self.resource_id}' and no known role grants it"
            )
        others = (
            f" (or another role that grants '{self.action}')"
            if len(self.candidate_roles) > 1
            else ""
        )
        return (
            f"identity '{self.principal_id}' lacks role {self.candidate_roles[0]}{others} at "
            f"scope '{self.resource_id}'"
        )

    @property
    def message(self) -> str:
        """Azure's AuthorizationFailed wording, plus the roles that would grant the action."""
        if self.allowed:
            role = self.granted_role.role_name if self.granted_role else "a role"
            scope = self.granted_by.scope if self.granted_by else self.resource_id
            return (
                f"The client '{self.principal_id}' may perform action '{self.action}' on "
                f"'{self.resource_id}' through role '{role}' at scope '{scope}'."
            )
        kind = "data action" if self.data else "action"
        text = (
            f"The client '{self.principal_id}' with object id '{self.principal_id}' does not have "
            f"authorization to perform {kind} '{self.action}' over scope '{self.resource_id}' "
            "or the scope is invalid."
        )
        if self.candidate_roles:
            text += (
                f" Assign one of these roles at this scope or a parent scope: "
                f"{', '.join(self.candidate_roles)}."
            )
        return text


def role_grants(role: RoleDefinition, action: str, *, data: bool = False) -> bool:
    """Whether ``role`` allows ``action``: some permission block lists it and does not exclude it.

    ``notActions`` only subtract within their own block; they are not deny rules, so another
    role (or block) that grants the action still does (Azure's rule).
    """
    return any(_block_grants(p, action, data) for p in role.permissions)


def _block_grants(permission: Permission, action: str, data: bool) -> bool:
    allowed = permission.data_actions if data else permission.actions
    excluded = permission.not_data_actions if data else permission.not_actions
    return any(action_matches(p, action) for p in allowed) and not any(
        action_matches(p, action) for p in excluded
    )


def roles_granting(
    action: str, *, data: bool = False, extra_roles: Iterable[RoleDefinition] = ()
) -> tuple[str, ...]:
    """Names of the roles that allow ``action``, narrowest first (Owner-like roles last)."""
    roles = [r for r in (*builtin_roles(), *extra_roles) if role_grants(r, action, data=data)]
    return tuple(r.role_name for r in sorted(roles, key=_breadth))


# Built-in roles that reach every provider, from least to most powerful.
_BROAD_ROLES = {
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": 1,  # Reader
    "b24988ac-6180-42a0-ab88-20f7382dd24c": 2,  # Contributor
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": 3,  # User Access Administrator
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": 4,  # Owner
}


def _breadth(role: RoleDefinition) -> tuple[int, int, int]:
    """Sort key, narrowest first: specific roles, then fewer wildcards, then fewer entries."""
    patterns = [a for p in role.permissions for a in (*p.actions, *p.data_actions)]
    global_reach = any(a.strip().startswith("*") for a in patterns)
    rank = _BROAD_ROLES.get(role.name.lower(), 1 if global_reach else 0)
    return (rank, sum(a.count("*") for a in patterns), len(patterns))


def check_access(
    assignments: Iterable[Assignment],
    principal_id: str,
    action: str,
    resource_id: str,
    *,
    data: bool = False,
    extra_roles: Iterable[RoleDefinition] = (),
) -> AccessDecision:
    """Decide whether ``principal_id`` may perform ``action`` on ``resource_id``.

    An assignment counts when it is the principal's, its scope covers ``resource_id`` and its
    role grants the action (``data=True`` checks ``dataActions``, else ``actions``). Principal
    ids compare without regard to case; an assignment naming an unknown role grants nothing.
    """
    extra = tuple(extra_roles)
    who = principal_id.strip().lower()
    for assignment in assignments:
        if assignment.principal_id.strip().lower() != who:
            continue
        if not scope_covers(assignment.scope, resource_id):
            continue
        role = find_role(assignment.role_definition_id, extra)
        if role is not None and role_grants(role, action, data=data):
            return AccessDecision(
                True, principal_id, action, resource_id, data, assignment, role, ()
            )
    return AccessDecision(
        False,
        principal_id,
        action,
        resource_id,
        data,
        None,
        None,
        roles_granting(action, data=data, extra_roles=extra),
    )


def is_allowed(
    assignments: Iterable[Assignment],
    principal_id: str,
    action: str,
    resource_id: str,
    *,
    data: bool = False,
    extra_roles: Iterable[RoleDefinition] = (),
) -> bool:
    """Whether ``principal_id`` may perform ``action`` on ``resource_id`` (see check_access)."""
    return check_access(
        assignments, principal_id, action, resource_id, data=data, extra_roles=extra_roles
    ).allowed


def require_access(
    assignments: Iterable[Assignment],
    principal_id: str,
    action: str,
    resource_id: str,
    *,
    data: bool = False,
    extra_roles: Iterable[RoleDefinition] = (),
) -> AccessDecision:
    """Like check_access, but a refusal raises AuthorizationError with the explanation."""
    decision = check_access(
        assignments, principal_id, action, resource_id, data=data, extra_roles=extra_roles
    )
    if not decision.allowed:
        raise AuthorizationError(decision.message)
    return decision
