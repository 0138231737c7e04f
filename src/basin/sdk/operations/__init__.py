"""``<Entity>Operations`` groups, reached as ``ml_client.<entities>``."""

from basin.sdk.operations.groups import ResourceGroupOperations
from basin.sdk.operations.storage_accounts import StorageAccountOperations
from basin.sdk.operations.workspaces import WorkspaceOperations

__all__ = ["ResourceGroupOperations", "StorageAccountOperations", "WorkspaceOperations"]
