"""Azure RBAC action strings: wildcard matching and the action an operation on a resource needs."""

from __future__ import annotations

import functools
import re

from basin.errors import ValidationError

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
    "action_for",
    "action_matches",
    "arm_action",
    "resource_type_of",
]

_CONTAINERS = "Microsoft.Storage/storageAccounts/blobServices/containers"

# Data actions checked by the blob service.
BLOB_READ = f"{_CONTAINERS}/blobs/read"
BLOB_WRITE = f"{_CONTAINERS}/blobs/write"
BLOB_DELETE = f"{_CONTAINERS}/blobs/delete"
BLOB_ADD = f"{_CONTAINERS}/blobs/add/action"
# Control-plane actions on containers (create / list / delete a container).
CONTAINER_READ = f"{_CONTAINERS}/read"
CONTAINER_WRITE = f"{_CONTAINERS}/write"
CONTAINER_DELETE = f"{_CONTAINERS}/delete"
# Environment registry ("container registry") and key vault.
ACR_PULL = "Microsoft.ContainerRegistry/registries/pull/read"
ACR_PUSH = "Microsoft.ContainerRegistry/registries/push/write"
_SECRETS = "Microsoft.KeyVault/vaults/secrets"
KEY_VAULT_SECRET_GET = f"{_SECRETS}/getSecret/action"
# The other data actions on a vault's secrets (Azure's names; the key vault data plane checks them).
KEY_VAULT_SECRET_READ_METADATA = f"{_SECRETS}/readMetadata/action"
KEY_VAULT_SECRET_SET = f"{_SECRETS}/setSecret/action"
KEY_VAULT_SECRET_UPDATE = f"{_SECRETS}/update/action"
KEY_VAULT_SECRET_DELETE = f"{_SECRETS}/delete"
KEY_VAULT_SECRET_RECOVER = f"{_SECRETS}/recover/action"
KEY_VAULT_SECRET_PURGE = f"{_SECRETS}/purge/action"
# Managing access.
ROLE_ASSIGNMENT_WRITE = "Microsoft.Authorization/roleAssignments/write"
ROLE_ASSIGNMENT_DELETE = "Microsoft.Authorization/roleAssignments/delete"

_DEFAULT_NAMESPACE = "Microsoft.MachineLearningServices"
_PLAIN_VERBS = ("read", "write", "delete", "action")


def action_matches(pattern: str, action: str) -> bool:
    """Whether an ``actions``/``notActions`` entry (with ``*`` wildcards) covers ``action``.

    Azure compares action strings without regard to case. ``*`` matches any run of characters,
    ``/`` included (``*/read`` covers every read action, ``Microsoft.Compute/virtualMachines/*``
    covers the child types too). A ``/*/`` in the middle also matches zero segments:
    ``Microsoft.MachineLearningServices/workspaces/*/write`` covers ``.../workspaces/write``.
    Azure's own built-in roles rely on that: AzureML Data Scientist lists ``workspaces/write``
    and ``workspaces/computes/*/write`` in ``notActions`` to take those back from
    ``workspaces/*/write``, which would be pointless if the wildcard needed a segment.
    """
    return _compile(pattern).fullmatch(action.strip()) is not None


@functools.lru_cache(maxsize=2048)
def _compile(pattern: str) -> re.Pattern[str]:
    text = pattern.strip()
    pieces: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("/*/", i):
            pieces.append("/(?:.*/)?")
            i += 3
        elif text[i] == "*":
            pieces.append(".*")
            i += 1
        else:
            pieces.append(re.escape(text[i]))
            i += 1
    return re.compile("".join(pieces), re.IGNORECASE | re.DOTALL)


def arm_action(resource_type: str, verb: str) -> str:
    """``arm_action("Microsoft.Storage/storageAccounts", "read")`` -> ``.../storageAccounts/read``.

    ``verb`` is ``read``, ``write``, ``delete``, ``action`` or the name of a custom action
    (``listKeys`` or ``listKeys/action`` -> ``.../listKeys/action``). A resource type without a
    namespace is taken to be Azure ML's: ``arm_action("workspaces/onlineEndpoints", "write")``
    -> ``Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write``.
    """
    rtype = resource_type.strip().strip("/")
    if not rtype:
        raise ValidationError("A resource type is required to name an action.")
    if "." not in rtype.split("/", 1)[0]:
        rtype = f"{_DEFAULT_NAMESPACE}/{rtype}"
    return f"{rtype}/{_verb(verb)}"


def _verb(verb: str) -> str:
    value = verb.strip().strip("/")
    if not value or "*" in value:
        raise ValidationError(f"'{verb}' is not an action verb: use read, write, delete or a name.")
    if value.lower() in _PLAIN_VERBS:
        return value.lower()
    if value.lower().endswith("/action"):
        return value[: -len("/action")] + "/action"
    return f"{value}/action"


def resource_type_of(resource_id: str) -> str:
    """The resource type of an id, as action strings spell it.

    ``/subscriptions/s`` -> ``Microsoft.Resources/subscriptions``; ``.../resourceGroups/rg`` ->
    ``Microsoft.Resources/subscriptions/resourceGroups``; ``.../providers/Microsoft.Storage/
    storageAccounts/a/blobServices/default/containers/c`` -> ``Microsoft.Storage/storageAccounts/
    blobServices/containers``. The last ``providers`` segment wins, so extension resources such as
    ``{scope}/providers/Microsoft.Authorization/roleAssignments/{id}`` get their own type. A
    trailing type without a name (a collection, as for list calls) still counts, and a blob name
    may contain ``/``.
    """
    parts = [p for p in resource_id.strip().split("/") if p]
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        raise ValidationError(
            f"'{resource_id}' is not a resource id: expected /subscriptions/<id>[/resourceGroups/"
            "<group>[/providers/<Namespace>/<type>/<name>...]]."
        )
    types = ["Microsoft.Resources", "subscriptions"]
    i = 2
    while i < len(parts):
        segment = parts[i]
        if segment.lower() == "providers" and i + 1 < len(parts):
            types = [parts[i + 1]]
            i += 2
            continue
        types.append(segment)
        if segment.lower() == "blobs" and types[-2].lower() == "containers":
            break  # the rest is the blob's name, which may hold slashes
        i += 2
    return "/".join(types)


def action_for(resource_id: str, verb: str) -> str:
    """The action an operation needs on ``resource_id``, e.g. ``(workspace id, "write")`` ->
    ``Microsoft.MachineLearningServices/workspaces/write``."""
    return f"{resource_type_of(resource_id)}/{_verb(verb)}"
