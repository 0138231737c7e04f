"""Principals: who a token speaks for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Principal", "PrincipalKind"]

PrincipalKind = Literal["user", "service_principal", "managed_identity"]


@dataclass(frozen=True)
class Principal:
    """A user, service principal or managed identity, by the ids Azure puts in its tokens.

    ``object_id`` is the principal id that role assignments name (``oid``); ``client_id`` is the
    application id (``appid``); ``resource_id`` is a managed identity's Azure resource id
    (``xms_mirid``): the user-assigned identity's id, or for a system-assigned identity the id of
    the resource it belongs to (e.g. the online endpoint).
    """

    object_id: str
    client_id: str | None = None
    kind: PrincipalKind = "service_principal"
    resource_id: str | None = None
    display_name: str | None = None

    @property
    def is_managed_identity(self) -> bool:
        return self.kind == "managed_identity"
