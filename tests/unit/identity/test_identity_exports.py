"""The public surface of basin.identity is explicit; this pins it so changes are deliberate."""

from __future__ import annotations

import basin.identity

EXPECTED = {
    # roles
    "Permission", "RoleDefinition", "builtin_roles", "find_role", "get_role", "role_definition_id", "role_guid",
    # actions and scopes
    "ACR_PULL", "ACR_PUSH", "BLOB_ADD", "BLOB_DELETE", "BLOB_READ", "BLOB_WRITE", "CONTAINER_DELETE",
    "CONTAINER_READ", "CONTAINER_WRITE", "KEY_VAULT_SECRET_GET", "ROLE_ASSIGNMENT_DELETE",
    "ROLE_ASSIGNMENT_WRITE", "action_for", "action_matches", "arm_action", "resource_type_of",
    "blob_scope", "container_scope", "normalize_scope", "scope_covers",
    # access decisions
    "AccessDecision", "Assignment", "RoleAssignment", "check_access", "is_allowed", "require_access",
    "role_grants", "roles_granting",
    # principals, audiences, keys and tokens
    "Principal", "PrincipalKind", "audience_key", "resource_from_scope", "same_audience",
    "SUPPORTED_ALGORITHMS", "KeyRing", "SigningKey",
    "IssuedToken", "TokenClaims", "TokenIssuer", "azure_style_issuer",
    # managed identity protocol
    "SECRET_HEADER", "SUPPORTED_API_VERSIONS", "EndpointIdentities", "ManagedIdentity", "MsiRequest",
    "MsiResponse", "answer_msi_request", "choose_identity", "hash_msi_secret", "msi_error_response",
    "msi_token_response", "new_msi_secret", "parse_msi_query", "verify_msi_secret",
}  # fmt: skip


def test_exports_are_pinned() -> None:
    assert set(basin.identity.__all__) == EXPECTED
    assert len(basin.identity.__all__) == len(EXPECTED)


def test_every_export_exists() -> None:
    for name in basin.identity.__all__:
        assert getattr(basin.identity, name) is not None, name
