"""``ml_client.workspaces``, with azure-ai-ml's method names and signatures."""

from __future__ import annotations

from typing import Any

from basin.entities import Workspace, WorkspaceKeys, parse_entity
from basin.errors import ValidationError
from basin.sdk.operations._scope import Scope
from basin.sdk.poller import BasinPoller

__all__ = ["WorkspaceOperations"]

WORKSPACES = "/providers/Microsoft.MachineLearningServices/workspaces"
_READ_ONLY = (
    "id",
    "mlflow_tracking_uri",
    "discovery_url",
    "provisioning_state",
    "created_at",
    "deleted_at",
    "identity",
    "resource_group",
)


class WorkspaceOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _path(self, name: str | None, group: str | None = None) -> str:
        return f"{self._scope.group_path(group)}{WORKSPACES}/{self._scope.workspace(name)}"

    def _group_of(self, workspace: Workspace) -> str | None:
        return workspace.resource_group or None

    def begin_create(
        self, workspace: Workspace, update_dependent_resources: bool = False, **_: Any
    ) -> BasinPoller[Workspace]:
        body = workspace.to_dict()
        for field in _READ_ONLY:
            body.pop(field, None)
        path = self._path(workspace.name, self._group_of(workspace))
        data = self._scope.transport.request("PUT", path, json=body)
        return BasinPoller.completed(parse_entity(Workspace, data))

    def get(self, name: str | None = None, *, resource_group: str | None = None) -> Workspace:
        data = self._scope.transport.request("GET", self._path(name, resource_group))
        return parse_entity(Workspace, data)

    def list(
        self,
        *,
        scope: str = "resource_group",
        deleted: bool = False,
        resource_group: str | None = None,
    ) -> list[Workspace]:
        if scope not in ("resource_group", "subscription"):
            raise ValidationError("scope must be 'resource_group' or 'subscription'.")
        base = (
            self._scope.subscription_path()
            if scope == "subscription"
            else self._scope.group_path(resource_group)
        )
        params = {"deleted": "true"} if deleted else None
        data = self._scope.transport.request("GET", base + WORKSPACES, params=params)
        return [parse_entity(Workspace, item) for item in data["value"]]

    def begin_update(
        self,
        workspace: Workspace | dict[str, Any],
        *,
        update_dependent_resources: bool = False,
        **_: Any,
    ) -> BasinPoller[Workspace]:
        if isinstance(workspace, Workspace):
            patch = workspace.model_dump(
                mode="json", exclude_unset=True, exclude={"created_at", "deleted_at"}
            )
            name: str | None = workspace.name
            group = workspace.resource_group
        else:
            patch = dict(workspace)
            name, group = patch.get("name"), patch.get("resource_group")  # may be defaults
        data = self._scope.transport.request("PATCH", self._path(name, group), json=patch)
        return BasinPoller.completed(parse_entity(Workspace, data))

    def begin_delete(
        self,
        name: str | None = None,
        *,
        delete_dependent_resources: bool = False,
        permanently_delete: bool = False,
        resource_group: str | None = None,
        **_: Any,
    ) -> BasinPoller[None]:
        if delete_dependent_resources:
            raise ValidationError(
                "basin never deletes a workspace's dependent resources with it; delete the "
                "storage account, registry, key vault and monitoring sink on their own if needed."
            )
        params = {"permanently_delete": "true"} if permanently_delete else None
        self._scope.transport.request("DELETE", self._path(name, resource_group), params=params)
        return BasinPoller.completed(None)

    def begin_recover(
        self, name: str | None = None, *, resource_group: str | None = None
    ) -> BasinPoller[Workspace]:
        data = self._scope.transport.request("POST", self._path(name, resource_group) + "/recover")
        return BasinPoller.completed(parse_entity(Workspace, data))

    def get_keys(
        self, name: str | None = None, *, resource_group: str | None = None
    ) -> WorkspaceKeys:
        data = self._scope.transport.request("POST", self._path(name, resource_group) + "/listKeys")
        return parse_entity(WorkspaceKeys, data)

    def begin_sync_keys(
        self, name: str | None = None, *, resource_group: str | None = None
    ) -> BasinPoller[WorkspaceKeys]:
        data = self._scope.transport.request(
            "POST", self._path(name, resource_group) + "/resyncKeys"
        )
        return BasinPoller.completed(parse_entity(WorkspaceKeys, data))
