"""Role assignments: who holds which role at which scope; read fresh on every access check."""

from __future__ import annotations

import uuid

from basin.entities import RoleAssignment
from basin.errors import ConflictError, NotFoundError, ValidationError
from basin.identity import get_role, role_definition_id
from basin.ids import ResourceId, id_key
from basin.services._resources import from_stored, to_stored
from basin.services.platform import Platform
from basin.store import Reader, Transaction

__all__ = [
    "PRINCIPAL_TYPES",
    "create",
    "delete",
    "get",
    "insert",
    "list_assignments",
]

TYPE = RoleAssignment.resource_type
PRINCIPAL_TYPES = ("User", "ServicePrincipal", "Group", "ForeignGroup")


def _assignment_id(scope: str, name: str) -> str:
    return f"{scope.rstrip('/')}/providers/{TYPE}/{name}"


def all_assignments(reader: Reader) -> list[RoleAssignment]:
    return [from_stored(RoleAssignment, row) for row in reader.list(type=TYPE)]


def insert(
    platform: Platform,
    tx: Transaction,
    principal_id: str,
    role: str,
    scope: str,
    principal_type: str = "ServicePrincipal",
    name: str | None = None,
    *,
    owner: str | None = None,
) -> RoleAssignment:
    """Assign ``role`` to ``principal_id`` at ``scope`` inside an open transaction; ``owner``
    (the resource the principal exists because of) takes the assignment with it."""
    definition = get_role(role)
    scope = scope.rstrip("/")
    if name is not None:
        try:
            name = str(uuid.UUID(name))
        except ValueError:
            raise ValidationError(
                f"A role assignment's name must be a GUID, not '{name}'."
            ) from None
    for existing in all_assignments(tx):
        if (
            existing.principal_id == principal_id
            and id_key(existing.scope) == id_key(scope)
            and existing.role_definition_name == definition.role_name
        ):
            if name is not None and existing.name == name:
                return existing  # the same PUT again: idempotent, as in ARM
            raise ConflictError(
                f"The role assignment already exists: {definition.role_name} for "
                f"'{principal_id}' at '{scope}' ({existing.id})."
            )
    if name is None:
        name = str(uuid.uuid4())
    rid = _assignment_id(scope, name)
    assignment = RoleAssignment(
        id=rid,
        name=name,
        principal_id=principal_id,
        principal_type=principal_type,
        role_definition_id=role_definition_id(definition.name, platform.subscription_id),
        role_definition_name=definition.role_name,
        scope=scope,
        created_on=platform.clock(),
    )
    stored = to_stored(assignment, rid, TYPE)
    stored.owner = owner
    tx.insert(stored)
    return assignment


def _check_scope(platform: Platform, reader: Reader, scope: str) -> None:
    parsed = ResourceId.parse(scope)
    if parsed.subscription_id.lower() != platform.subscription_id.lower():
        raise ValidationError(
            f"--scope '{scope}' is not in this installation's subscription "
            f"'{platform.subscription_id}'."
        )
    if parsed.resource_group is None:
        return
    # A container inside a storage account is a valid scope though not a resource of its own.
    parts = scope.rstrip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "blobservices" in lowered:
        scope = "/".join(parts[: lowered.index("blobservices")])
    if reader.get(scope) is None:
        raise NotFoundError(f"The scope '{scope}' does not exist.")


def create(
    platform: Platform,
    principal_id: str,
    role: str,
    scope: str,
    principal_type: str | None = None,
    *,
    name: str | None = None,
) -> RoleAssignment:
    with platform.store.transaction() as tx:
        principal = tx.get_principal(principal_id)
        if principal is None:
            raise NotFoundError(
                f"Principal '{principal_id}' does not exist in this installation: pass the "
                "object id (principalId) of a user, service principal or managed identity."
            )
        if principal_type is not None and principal_type not in PRINCIPAL_TYPES:
            raise ValidationError(
                f"--assignee-principal-type must be one of {', '.join(PRINCIPAL_TYPES)}."
            )
        kind = principal_type or ("User" if principal.kind == "User" else "ServicePrincipal")
        _check_scope(platform, tx, scope)
        return insert(platform, tx, principal_id, role, scope, kind, name, owner=principal.owner)


def list_assignments(
    platform: Platform,
    *,
    assignee: str | None = None,
    scope: str | None = None,
    include_all: bool = False,
    role: str | None = None,
) -> list[RoleAssignment]:
    """As ``az role assignment list``: subscription-scope ones by default, ``--all`` for all."""
    principal_ids: set[str] | None = None
    if assignee is not None:
        principal_ids = {
            p.object_id
            for p in platform.store.list_principals()
            if assignee in (p.object_id, p.client_id)
        }
    role_name = get_role(role).role_name if role else None
    subscription_scope = f"/subscriptions/{platform.subscription_id}"
    result = []
    for assignment in all_assignments(platform.store):
        if principal_ids is not None and assignment.principal_id not in principal_ids:
            continue
        if role_name and assignment.role_definition_name != role_name:
            continue
        if scope is not None:
            if id_key(assignment.scope) != id_key(scope):
                continue
        elif (
            not include_all
            and assignee is None
            and id_key(assignment.scope) != id_key(subscription_scope)
        ):
            continue
        result.append(assignment)
    return result


def get(platform: Platform, assignment_id: str) -> RoleAssignment:
    stored = platform.store.get(assignment_id)
    if stored is None or stored.type != TYPE:
        raise NotFoundError(f"Role assignment '{assignment_id}' was not found.")
    return from_stored(RoleAssignment, stored)


def delete(platform: Platform, assignment_id: str) -> None:
    with platform.store.transaction() as tx:
        stored = tx.get(assignment_id)
        if stored is None or stored.type != TYPE:
            raise NotFoundError(f"Role assignment '{assignment_id}' was not found.")
        tx.delete(assignment_id)


def delete_for_principal(tx: Transaction, principal_id: str) -> int:
    """Remove every assignment of a principal (when the principal itself is deleted)."""
    count = 0
    for assignment in all_assignments(tx):
        if assignment.principal_id == principal_id and assignment.id:
            count += int(tx.delete(assignment.id))
    return count
