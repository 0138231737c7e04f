"""Identity: built-in roles, access checks, basin's tokens and the managed identity protocol.

A pure library: it takes plain arguments (role assignments, principals, query parameters) and
returns typed values; it stores nothing except the signing keys of a :class:`KeyRing`.

    roles      RoleDefinition, the built-in catalogue, get_role("AcrPull" | guid | full id)
    actions    action_matches("*/read", action), arm_action(type, verb), action_for(id, verb)
    scopes     scope_covers(scope, resource_id), container_scope(account_id, container)
    access     check_access / is_allowed / require_access over role assignments
    keyring    KeyRing: signing keys in a directory, rotation, retirement, JWKS
    rotation   KeyRotation: rotates and retires the signing keys on a schedule
    tokens     TokenIssuer.issue(principal, audience) / .verify(token, audience)
    msi        the MSI_ENDPOINT protocol: parse, choose identity, answer, per-replica secrets
"""

from __future__ import annotations

from basin.identity.access import (
    AccessDecision,
    Assignment,
    RoleAssignment,
    check_access,
    is_allowed,
    require_access,
    role_grants,
    roles_granting,
)
from basin.identity.actions import (
    ACR_PULL,
    ACR_PUSH,
    BLOB_ADD,
    BLOB_DELETE,
    BLOB_READ,
    BLOB_WRITE,
    CONTAINER_DELETE,
    CONTAINER_READ,
    CONTAINER_WRITE,
    KEY_VAULT_SECRET_GET,
    ROLE_ASSIGNMENT_DELETE,
    ROLE_ASSIGNMENT_WRITE,
    action_for,
    action_matches,
    arm_action,
    resource_type_of,
)
from basin.identity.audiences import audience_key, resource_from_scope, same_audience
from basin.identity.keyring import SUPPORTED_ALGORITHMS, KeyRing, SigningKey
from basin.identity.msi import (
    SECRET_HEADER,
    SUPPORTED_API_VERSIONS,
    EndpointIdentities,
    ManagedIdentity,
    MsiRequest,
    MsiResponse,
    answer_msi_request,
    choose_identity,
    hash_msi_secret,
    msi_error_response,
    msi_token_response,
    new_msi_secret,
    parse_msi_query,
    verify_msi_secret,
)
from basin.identity.principals import Principal, PrincipalKind
from basin.identity.roles import (
    Permission,
    RoleDefinition,
    builtin_roles,
    find_role,
    get_role,
    role_definition_id,
    role_guid,
)
from basin.identity.scopes import blob_scope, container_scope, normalize_scope, scope_covers
from basin.identity.tokens import IssuedToken, TokenClaims, TokenIssuer, azure_style_issuer

__all__ = [
    "ACR_PULL",
    "ACR_PUSH",
    "BLOB_ADD",
    "BLOB_DELETE",
    "BLOB_READ",
    "BLOB_WRITE",
    "CONTAINER_DELETE",
    "CONTAINER_READ",
    "CONTAINER_WRITE",
    "KEY_VAULT_SECRET_GET",
    "ROLE_ASSIGNMENT_DELETE",
    "ROLE_ASSIGNMENT_WRITE",
    "SECRET_HEADER",
    "SUPPORTED_ALGORITHMS",
    "SUPPORTED_API_VERSIONS",
    "AccessDecision",
    "Assignment",
    "EndpointIdentities",
    "IssuedToken",
    "KeyRing",
    "ManagedIdentity",
    "MsiRequest",
    "MsiResponse",
    "Permission",
    "Principal",
    "PrincipalKind",
    "RoleAssignment",
    "RoleDefinition",
    "SigningKey",
    "TokenClaims",
    "TokenIssuer",
    "action_for",
    "action_matches",
    "answer_msi_request",
    "arm_action",
    "audience_key",
    "azure_style_issuer",
    "blob_scope",
    "builtin_roles",
    "check_access",
    "choose_identity",
    "container_scope",
    "find_role",
    "get_role",
    "hash_msi_secret",
    "is_allowed",
    "msi_error_response",
    "msi_token_response",
    "new_msi_secret",
    "normalize_scope",
    "parse_msi_query",
    "require_access",
    "resource_from_scope",
    "resource_type_of",
    "role_definition_id",
    "role_grants",
    "role_guid",
    "roles_granting",
    "same_audience",
    "scope_covers",
    "verify_msi_secret",
]
