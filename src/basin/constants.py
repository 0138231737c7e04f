"""azure-ai-ml's constants (``azure.ai.ml.constants``) that online-endpoint code uses."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AssetTypes",
    "InputOutputModes",
    "ListViewType",
    "ManagedServiceIdentityType",
    "ModelType",
]


class AssetTypes:
    URI_FILE = "uri_file"
    URI_FOLDER = "uri_folder"
    MLTABLE = "mltable"
    MLFLOW_MODEL = "mlflow_model"
    TRITON_MODEL = "triton_model"
    CUSTOM_MODEL = "custom_model"


class ModelType:
    CUSTOM = "CustomModel"
    MLFLOW = "MLFlowModel"
    TRITON = "TritonModel"


class ListViewType:
    ACTIVE_ONLY = "ActiveOnly"
    ARCHIVED_ONLY = "ArchivedOnly"
    ALL = "All"


class ManagedServiceIdentityType:
    SYSTEM_ASSIGNED = "SystemAssigned"
    USER_ASSIGNED = "UserAssigned"
    SYSTEM_AND_USER_ASSIGNED = "SystemAssigned,UserAssigned"
    NONE = "None"


class InputOutputModes:
    MOUNT = "mount"
    DOWNLOAD = "download"
    UPLOAD = "upload"
    RO_MOUNT = "ro_mount"
    RW_MOUNT = "rw_mount"
    EVAL_MOUNT = "eval_mount"
    EVAL_DOWNLOAD = "eval_download"
    DIRECT = "direct"


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(f"module 'basin.constants' has no attribute {name!r}")
    raise ImportError(
        f"basin.constants has no {name}: basin keeps azure-ai-ml's constants for online "
        f"endpoints ({', '.join(__all__)}); jobs, AutoML and pipelines are not part of basin."
    )
