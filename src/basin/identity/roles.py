"""Role definitions: the typed model, the built-in catalogue and lookup by name or id."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from basin.errors import NotFoundError

__all__ = [
    "Permission",
    "RoleDefinition",
    "builtin_roles",
    "find_role",
    "get_role",
    "role_definition_id",
    "role_guid",
]

_ROLE_DEFINITIONS_PATH = "/providers/Microsoft.Authorization/roleDefinitions/"
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Permission:
    """One permission block of a role: allowed and excluded control- and data-plane actions."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleDefinition:
    """An Azure role definition, with the field names Azure's CLI and REST API show."""

    name: str  # the GUID, as Azure's `name` property
    role_name: str
    description: str
    permissions: tuple[Permission, ...]
    role_type: str = "BuiltInRole"
    assignable_scopes: tuple[str, ...] = field(default=("/",))

    @property
    def id(self) -> str:
        """The subscription-independent id, as Azure's built-in role docs print it."""
        return _ROLE_DEFINITIONS_PATH.rstrip("/") + "/" + self.name

    def to_arm(self, subscription_id: str | None = None) -> dict[str, object]:
        """The JSON Azure returns for ``az role definition list`` (REST shape)."""
        return {
            "assignableScopes": list(self.assignable_scopes),
            "description": self.description,
            "id": role_definition_id(self.name, subscription_id),
            "name": self.name,
            "permissions": [
                {
                    "actions": list(p.actions),
                    "notActions": list(p.not_actions),
                    "dataActions": list(p.data_actions),
                    "notDataActions": list(p.not_data_actions),
                }
                for p in self.permissions
            ],
            "roleName": self.role_name,
            "roleType": self.role_type,
            "type": "Microsoft.Authorization/roleDefinitions",
        }


def role_definition_id(guid: str, subscription_id: str | None = None) -> str:
    """``/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}``."""
    prefix = f"/subscriptions/{subscription_id}" if subscription_id else ""
    return f"{prefix}{_ROLE_DEFINITIONS_PATH}{guid}"


def role_guid(reference: str) -> str | None:
    """The lowercase GUID in a bare GUID or a full role definition id; None if it has none."""
    value = reference.strip().rstrip("/")
    lowered = value.lower()
    marker = _ROLE_DEFINITIONS_PATH.lower()
    if marker in lowered:
        value = value[lowered.rindex(marker) + len(marker) :]
    return value.lower() if _GUID.fullmatch(value) else None


def builtin_roles() -> tuple[RoleDefinition, ...]:
    """Every built-in role basin knows, in catalogue order."""
    from basin.identity._builtin_roles import BUILTIN_ROLES

    return BUILTIN_ROLES


def find_role(reference: str, extra_roles: Iterable[RoleDefinition] = ()) -> RoleDefinition | None:
    """The role named by ``reference`` (role name in any case, GUID or full id), or None.

    ``extra_roles`` are custom roles; a built-in role wins over a custom one with the same
    name or id, so a custom role can never shadow a built-in.
    """
    guid = role_guid(reference)
    name = reference.strip().lower()
    for index in (_builtin_index(), _index(extra_roles)):
        role = index.by_guid.get(guid) if guid is not None else index.by_name.get(name)
        if role is not None:
            return role
    return None


def get_role(reference: str, extra_roles: Iterable[RoleDefinition] = ()) -> RoleDefinition:
    """Like :func:`find_role`, but an unknown role raises NotFoundError naming the valid ones."""
    role = find_role(reference, extra_roles)
    if role is not None:
        return role
    names = sorted({r.role_name for r in (*builtin_roles(), *extra_roles)}, key=str.lower)
    raise NotFoundError(
        f"Role '{reference}' does not exist. Give a role name or a role definition id; "
        f"valid role names: {', '.join(names)}."
    )


@dataclass(frozen=True)
class _RoleIndex:
    by_guid: Mapping[str, RoleDefinition]
    by_name: Mapping[str, RoleDefinition]


def _index(roles: Iterable[RoleDefinition]) -> _RoleIndex:
    by_guid: dict[str, RoleDefinition] = {}
    by_name: dict[str, RoleDefinition] = {}
    for role in roles:
        by_guid.setdefault(role.name.lower(), role)
        by_name.setdefault(role.role_name.lower(), role)
    return _RoleIndex(by_guid, by_name)


@functools.cache
def _builtin_index() -> _RoleIndex:
    return _index(builtin_roles())
