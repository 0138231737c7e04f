"""What the operations of versioned assets (models, environments) share."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from basin.entities import Entity, parse_entity
from basin.ids import validate_name
from basin.sdk.operations._scope import Scope

__all__ = ["WORKSPACE", "VersionedAssetOperations"]

WORKSPACE = "/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
A = TypeVar("A", bound=Entity)


class VersionedAssetOperations(Generic[A]):
    """``get``, ``list``, ``archive`` and ``restore`` over ``…/workspaces/{ws}/{kind}``."""

    kind: str
    entity: type[A]

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _workspace(self) -> str:
        return self._scope.group_path() + WORKSPACE.format(ws=self._scope.workspace())

    def _base(self, name: str | None = None) -> str:
        base = f"{self._workspace()}/{self.kind}"
        return base if name is None else f"{base}/{validate_name('asset', name)}"

    def get(self, name: str, version: str | None = None, label: str | None = None) -> A:
        which = version or label or "latest"
        return parse_entity(
            self.entity,
            self._scope.transport.request("GET", f"{self._base(name)}/versions/{which}"),
        )

    def list(
        self,
        name: str | None = None,
        *,
        archived_only: bool = False,
        include_archived: bool = False,
    ) -> list[A]:
        """With a name: its versions; without: the latest version of each."""
        path = f"{self._base(name)}/versions" if name else self._base()
        params = {
            "archived_only": str(archived_only).lower(),
            "include_archived": str(include_archived).lower(),
        }
        data = self._scope.transport.request("GET", path, params=params)
        return [parse_entity(self.entity, item) for item in data["value"]]

    def archive(self, name: str, version: str | None = None, **_: Any) -> None:
        self._scope.transport.request(
            "POST", f"{self._base(name)}/versions/{version or 'all'}/archive"
        )

    def restore(self, name: str, version: str | None = None, **_: Any) -> None:
        self._scope.transport.request(
            "POST", f"{self._base(name)}/versions/{version or 'all'}/restore"
        )
