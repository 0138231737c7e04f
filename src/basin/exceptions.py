"""azure-ai-ml's exception names (``azure.ai.ml.exceptions``) over basin's one exception tree.

``from basin.exceptions import ValidationException`` catches what basin raises for the same
failure: each name is basin's own class (``basin.errors``), so ``except ValidationException``
and ``except basin.errors.ValidationError`` are the same clause. azure-ai-ml's finer split
(``ModelException``, ``AssetException``, …) maps onto the class basin raises for those cases.

    MlException                 = BasinError
    ValidationException         = ValidationError
    UserErrorException          = ValidationError
    DeploymentException         = DeploymentFailedError
    ModelException, AssetException, AssetPathException, EmptyDirectoryError = ValidationError
    LocalEndpointNotFoundError  = NotFoundError
    LocalEndpointInFailedStateError = DeploymentFailedError
    UnsupportedOperationError   = ValidationError
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from basin.errors import (
    BasinError,
    DeploymentFailedError,
    NotFoundError,
    ValidationError,
)

__all__ = [
    "AssetException",
    "AssetPathException",
    "DeploymentException",
    "EmptyDirectoryError",
    "ErrorCategory",
    "ErrorTarget",
    "InvalidLocalEndpointError",
    "LocalEndpointInFailedStateError",
    "LocalEndpointNotFoundError",
    "MlException",
    "ModelException",
    "RequiredLocalArtifactsNotFoundError",
    "UnsupportedOperationError",
    "UserErrorException",
    "ValidationErrorType",
    "ValidationException",
]

MlException = BasinError
ValidationException = ValidationError
UserErrorException = ValidationError
DeploymentException = DeploymentFailedError
ModelException = ValidationError
AssetException = ValidationError
AssetPathException = ValidationError
EmptyDirectoryError = ValidationError
UnsupportedOperationError = ValidationError
LocalEndpointNotFoundError = NotFoundError
LocalEndpointInFailedStateError = DeploymentFailedError
InvalidLocalEndpointError = ValidationError
RequiredLocalArtifactsNotFoundError = ValidationError


class ErrorCategory:
    """azure-ai-ml's error categories (kept for code that names them)."""

    USER_ERROR = "UserError"
    SYSTEM_ERROR = "SystemError"
    UNKNOWN = "Unknown"


class ErrorTarget:
    """azure-ai-ml's error targets (kept for code that names them)."""

    ONLINE_ENDPOINT = "OnlineEndpoint"
    ONLINE_DEPLOYMENT = "OnlineDeployment"
    LOCAL_ENDPOINT = "LocalEndpoint"
    MODEL = "Model"
    ENVIRONMENT = "Environment"
    WORKSPACE = "Workspace"
    ASSET = "Asset"
    UNKNOWN = "Unknown"


class ValidationErrorType(Enum):
    INVALID_VALUE = "INVALID VALUE"
    UNKNOWN_FIELD = "UNKNOWN FIELD"
    MISSING_FIELD = "MISSING FIELD"
    FILE_OR_FOLDER_NOT_FOUND = "FILE OR FOLDER NOT FOUND"
    CANNOT_SERIALIZE = "CANNOT DUMP"
    CANNOT_PARSE = "CANNOT PARSE"
    RESOURCE_NOT_FOUND = "RESOURCE NOT FOUND"
    GENERIC = "GENERIC"


#: azure-ai-ml names basin does not raise, with what to catch instead.
_INSTEAD = {
    "JobException": "jobs are not part of basin yet; nothing raises it",
    "ComponentException": "components are not part of basin; nothing raises it",
    "ScheduleException": "schedules are not part of basin; nothing raises it",
    "DockerEngineNotAvailableError": (
        "basin's local endpoints need no Docker (they run in a built environment); nothing "
        "raises it"
    ),
    "LocalEndpointImageBuildError": "catch basin.errors.BuildFailedError (an environment build)",
    "MultipleLocalDeploymentsFoundError": "catch ValidationException",
    "CloudArtifactsNotSupportedError": "catch ValidationException",
    "VSCodeCommandNotFound": "vscode_debug is not supported by basin",
}


def __getattr__(name: str) -> Any:
    if name in _INSTEAD:
        raise ImportError(f"basin.exceptions has no {name}: {_INSTEAD[name]}.")
    raise AttributeError(f"module 'basin.exceptions' has no attribute {name!r}")
