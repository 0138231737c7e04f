"""The metadata store interface: generic Azure-shaped resources, settings, secrets, principals.

Resources are kept generically, the way Azure Resource Manager keeps them: an id, a type, a name,
the group it lives in and a JSON body. Entities convert to and from the body at the service layer.
Every change happens inside :meth:`MetadataStore.transaction`, which commits all or nothing.
"""

from __future__ import annotations

import abc
import builtins
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["MetadataStore", "Principal", "StoredResource", "StoredSecret", "Transaction"]


@dataclass
class StoredResource:
    id: str
    type: str
    name: str
    subscription_id: str
    resource_group: str | None
    body: dict[str, Any] = field(default_factory=dict)
    etag: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    #: The resource this one exists because of (deleted with it, wherever this one lives).
    owner: str | None = None


@dataclass
class StoredSecret:
    scope: str
    name: str
    ciphertext: bytes
    updated_at: datetime | None = None


@dataclass
class Principal:
    """A caller: a user, a service principal or a managed identity."""

    object_id: str
    kind: str  # User | ServicePrincipal | ManagedIdentity
    display_name: str
    client_id: str
    token_hash: str | None = None
    created_at: datetime | None = None
    #: The resource this principal exists because of (a workspace, an endpoint, an identity).
    owner: str | None = None


class Reader(abc.ABC):
    """Reads shared by the store itself and by an open transaction."""

    @abc.abstractmethod
    def get(self, resource_id: str, *, include_deleted: bool = False) -> StoredResource | None: ...

    @abc.abstractmethod
    def list(
        self,
        *,
        type: str | None = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        under: str | None = None,
        include_deleted: bool = False,
        only_deleted: bool = False,
        name: str | None = None,
        owned_under: str | None = None,
    ) -> list[StoredResource]:
        """Resources filtered by type, group, name, id prefix (``under``: children of an id) or
        owner (``owned_under``: owned by that id or anything under it)."""

    @abc.abstractmethod
    def get_setting(self, key: str) -> str | None: ...

    @abc.abstractmethod
    def get_secret(self, scope: str, name: str) -> StoredSecret | None: ...

    @abc.abstractmethod
    def principal_by_token_hash(self, token_hash: str) -> Principal | None: ...

    @abc.abstractmethod
    def get_principal(self, object_id: str) -> Principal | None: ...

    @abc.abstractmethod
    def list_principals(self, *, owned_under: str | None = None) -> builtins.list[Principal]:
        """Every principal, or those owned by ``owned_under`` or anything under it."""


class Transaction(Reader):
    """One atomic unit of change."""

    @abc.abstractmethod
    def insert(self, resource: StoredResource) -> StoredResource:
        """Add a resource; ConflictError if its id (in any case) is taken, even soft-deleted."""

    @abc.abstractmethod
    def update(self, resource: StoredResource, *, if_match: str | None = None) -> StoredResource:
        """Replace a resource's body (and deleted_at); PreconditionFailedError on a stale etag."""

    @abc.abstractmethod
    def delete(self, resource_id: str) -> bool: ...

    @abc.abstractmethod
    def delete_under(self, resource_id: str) -> int:
        """Delete a resource and everything whose id starts with it; return how many."""

    @abc.abstractmethod
    def set_setting(self, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def put_secret(self, scope: str, name: str, ciphertext: bytes) -> None: ...

    @abc.abstractmethod
    def delete_secrets(self, scope: str) -> int:
        """Delete every secret whose scope is ``scope`` or lies under it."""

    @abc.abstractmethod
    def put_principal(self, principal: Principal) -> None: ...

    @abc.abstractmethod
    def delete_principal(self, object_id: str) -> bool: ...


class MetadataStore(Reader):
    """Where basin keeps what it knows; chosen by URL scheme (``sqlite://``, ``postgresql://``)."""

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]: ...

    @abc.abstractmethod
    def close(self) -> None: ...
