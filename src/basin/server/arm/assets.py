"""Versioned workspace assets in ARM's shape: models, environments and code, their containers
(``…/models/{name}``: ``latestVersion``, ``nextVersion``) and versions (``…/versions/{v}``).

References travel as ARM ids on the wire (``…/workspaces/{ws}/models/{name}/versions/{v}``) and
as ``azureml:{name}:{v}`` inside basin; model paths travel as the long datastore URI
(``azureml://subscriptions/…/workspaces/{ws}/datastores/{store}/paths/{path}``) and are kept in
basin's short form (``azureml://datastores/{store}/paths/{path}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from basin.entities import Code, Entity, Environment, Model, parse_entity
from basin.errors import ConflictError, NotFoundError, ValidationError
from basin.server.arm._common import ML, WORKSPACE, workspace_for
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.wire import envelope, page, text_map
from basin.services import codes, environments, models
from basin.services.platform import Platform

__all__ = [
    "asset_arm_id",
    "long_datastore_uri",
    "reference_from_arm_id",
    "router",
    "short_datastore_uri",
]

router = ArmRouter()

_LONG_URI = re.compile(
    r"^azureml://subscriptions/(?P<sub>[^/]+)/resource[gG]roups/(?P<group>[^/]+)/workspaces/"
    r"(?P<ws>[^/]+)/datastores/(?P<store>[^/]+)/paths/(?P<path>.+)$",
    re.IGNORECASE,
)
_SHORT_URI = re.compile(r"^azureml://datastores/(?P<store>[^/]+)/paths/(?P<path>.+)$")
_ASSET_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<group>[^/]+)/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)/(?P<kind>models|environments|"
    r"codes)/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$",
    re.IGNORECASE,
)


def short_datastore_uri(uri: str, request: ArmRequest) -> str:
    """The long datastore URI of this workspace as basin's short one; others unchanged."""
    found = _LONG_URI.match(uri)
    if found is None:
        return uri
    if (found["group"].lower(), found["ws"].lower()) != (
        request.params["group"].lower(),
        request.params["workspace"].lower(),
    ):
        raise ValidationError(
            f"'{uri}' names another workspace's datastore; basin reads only this workspace's."
        )
    return f"azureml://datastores/{found['store']}/paths/{found['path']}"


def long_datastore_uri(uri: str | None, request: ArmRequest) -> str | None:
    found = _SHORT_URI.match(uri or "")
    if found is None:
        return uri
    p = request.params
    return (
        f"azureml://subscriptions/{p['subscription']}/resourcegroups/{p['group']}/workspaces/"
        f"{p['workspace']}/datastores/{found['store']}/paths/{found['path']}"
    )


def _workspace_id(request: ArmRequest) -> str:
    p = request.params
    return (
        f"/subscriptions/{p['subscription']}/resourceGroups/{p['group']}/providers/{ML}/"
        f"workspaces/{p['workspace']}"
    )


def asset_arm_id(request: ArmRequest, kind: str, reference: str | None) -> str | None:
    """``azureml:name:version`` -> this workspace's ARM id of that version; others unchanged."""
    if not reference or not reference.startswith("azureml:") or reference.startswith("azureml://"):
        return reference
    name, _, version = reference[len("azureml:") :].partition(":")
    if not version:
        return reference
    return f"{_workspace_id(request)}/{kind}/{name}/versions/{version}"


def reference_from_arm_id(request: ArmRequest, kind: str, value: Any, field: str) -> str | None:
    """An asset's ARM id (or ``azureml:`` reference) -> ``azureml:name:version``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"'{field}' must be text (an asset's resource id).")
    found = _ASSET_ID.match(value)
    if found is None:
        return value  # azureml:name:version, a registry URI, a datastore path: basin checks them
    if found["kind"].lower() != kind or (found["group"].lower(), found["ws"].lower()) != (
        request.params["group"].lower(),
        request.params["workspace"].lower(),
    ):
        raise ValidationError(f"'{field}' must name a {kind[:-1]} version of this workspace.")
    return f"azureml:{found['name']}:{found['version']}"


@dataclass(frozen=True)
class _Kind:
    """How one asset type meets the wire."""

    kind: str  # models | environments | codes
    list_versions: Callable[[Platform, str, str, str | None], Sequence[Entity]]
    get_version: Callable[[Platform, str, str, str, str], Entity]
    to_properties: Callable[[Any, ArmRequest], dict[str, Any]]
    create: Callable[[ArmRequest, str, str, dict[str, Any]], Entity]


def _common_properties(asset: Any) -> dict[str, Any]:
    return {
        "description": asset.description,
        "tags": asset.tags,
        "properties": asset.properties,
        "isArchived": bool(asset.archived),
        "isAnonymous": bool(getattr(asset, "is_anonymous", False)),
        "provisioningState": "Succeeded",
    }


def _version_body(spec: _Kind, asset: Any, request: ArmRequest) -> dict[str, Any]:
    rid = f"{_workspace_id(request)}/{spec.kind}/{asset.name}/versions/{asset.version}"
    properties = _common_properties(asset) | spec.to_properties(asset, request)
    return envelope(
        rid, f"{ML}/workspaces/{spec.kind}/versions", properties, created_at=asset.created_at
    )


def _container_body(
    spec: _Kind, name: str, versions: Sequence[Any], request: ArmRequest
) -> dict[str, Any]:
    live = [v for v in versions if not v.archived]
    latest = max(live or versions, key=lambda v: v.created_at or 0) if versions else None
    numbers = [int(v.version) for v in versions if str(v.version).isdigit()]
    properties = {
        "description": latest.description if latest else None,
        "tags": latest.tags if latest else {},
        "properties": {},
        "isArchived": bool(versions) and not live,
        "latestVersion": latest.version if latest else None,
        "nextVersion": str(max(numbers, default=0) + 1),
        "provisioningState": "Succeeded",
    }
    rid = f"{_workspace_id(request)}/{spec.kind}/{name}"
    return envelope(
        rid,
        f"{ML}/workspaces/{spec.kind}",
        properties,
        created_at=latest.created_at if latest else None,
    )


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise ValidationError("An asset version needs 'properties'.")
    return properties


def _common_fields(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": properties.get("description"),
        "tags": text_map(properties.get("tags"), "properties.tags"),
        "properties": text_map(properties.get("properties"), "properties.properties"),
    }


# ---- models ----------------------------------------------------------------------------------


def _model_properties(model: Model, request: ArmRequest) -> dict[str, Any]:
    return {
        "modelUri": long_datastore_uri(model.path, request),
        "modelType": model.type.value,
        "flavors": model.flavors or {},
        "jobName": model.job_name,
        "stage": model.stage,
    }


def _uri(value: Any, field: str, request: ArmRequest) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"A version needs '{field}' (where its files were uploaded).")
    return short_datastore_uri(value, request)


def _create_model(
    request: ArmRequest, name: str, version: str, properties: dict[str, Any]
) -> Entity:
    fields = _common_fields(properties) | {
        "name": name,
        "version": version,
        "path": _uri(properties.get("modelUri"), "properties.modelUri", request),
        "type": properties.get("modelType") or "custom_model",
        "flavors": properties.get("flavors") or None,
        "stage": properties.get("stage"),
        "job_name": properties.get("jobName"),
    }
    model = parse_entity(Model, fields, source="model version")
    group, ws = request.params["group"], request.params["workspace"]
    try:
        existing = models.get(request.platform, group, ws, name, version)
    except NotFoundError:
        return models.create(request.platform, group, ws, model)
    if existing.path != model.path:
        raise ConflictError(
            f"Model '{name}' version {version} already exists with other files, and versions "
            "cannot change: register a new version."
        )
    return existing


# ---- environments ------------------------------------------------------------------------------


def _environment_properties(env: Environment, request: ArmRequest) -> dict[str, Any]:
    conda = env.conda_file
    if isinstance(conda, dict):
        conda = yaml.safe_dump(conda, sort_keys=False)
    curated = (env.name or "").lower().startswith("azureml-")
    return {
        "image": env.image,
        "condaFile": conda,
        "osType": "Linux",
        "environmentType": "Curated" if curated else "UserCreated",
        "inferenceConfig": env.inference_config,
        "autoRebuild": "Disabled",
    }


def _create_environment(
    request: ArmRequest, name: str, version: str, properties: dict[str, Any]
) -> Entity:
    conda = properties.get("condaFile")
    if isinstance(conda, str):
        try:
            conda = yaml.safe_load(conda)
        except yaml.YAMLError:
            raise ValidationError("'properties.condaFile' is not valid YAML.") from None
    if properties.get("build"):
        raise ValidationError(
            "Docker build contexts ('properties.build') are not supported by basin (no container "
            "engine): use 'image' with a 'condaFile'."
        )
    fields = _common_fields(properties) | {
        "name": name,
        "version": version,
        "image": properties.get("image"),
        "conda_file": conda or None,
        "inference_config": properties.get("inferenceConfig"),
    }
    env = parse_entity(Environment, fields, source="environment version")
    return environments.create_or_update(
        request.platform, request.params["group"], request.params["workspace"], env
    )


# ---- code --------------------------------------------------------------------------------------


def _code_properties(code: Code, request: ArmRequest) -> dict[str, Any]:
    return {"codeUri": long_datastore_uri(code.path, request)}


def _create_code(
    request: ArmRequest, name: str, version: str, properties: dict[str, Any]
) -> Entity:
    fields = _common_fields(properties) | {
        "name": name,
        "version": version,
        "path": _uri(properties.get("codeUri"), "properties.codeUri", request),
        "is_anonymous": bool(properties.get("isAnonymous")),
    }
    code = parse_entity(Code, fields, source="code version")
    return codes.create(
        request.platform, request.params["group"], request.params["workspace"], code
    )


KINDS = {
    "models": _Kind(
        "models",
        lambda p, g, w, n: models.list_models(p, g, w, n, include_archived=True),
        lambda p, g, w, n, v: models.get(p, g, w, n, v),
        _model_properties,
        _create_model,
    ),
    "environments": _Kind(
        "environments",
        lambda p, g, w, n: environments.list_environments(p, g, w, n, include_archived=True),
        lambda p, g, w, n, v: environments.get(p, g, w, n, v),
        _environment_properties,
        _create_environment,
    ),
    "codes": _Kind(
        "codes",
        lambda p, g, w, n: codes.list_codes(p, g, w, n),
        lambda p, g, w, n, v: codes.get(p, g, w, n, v),
        _code_properties,
        _create_code,
    ),
}


def _spec(request: ArmRequest) -> _Kind:
    return KINDS[request.params["kind"].lower()]


def _ordered(items: list[Any], request: ArmRequest) -> list[Any]:
    """``$orderBy=createdtime desc`` (azure-ai-ml asks for the newest this way) and ``$top``."""
    order = request.query.get("$orderBy", "").lower()
    if "createdtime" in order:
        items = sorted(items, key=lambda v: v.created_at or 0, reverse="desc" in order)
    view = request.query.get("listViewType", "ActiveOnly").lower()
    if view == "activeonly":
        items = [v for v in items if not v.archived]
    elif view == "archivedonly":
        items = [v for v in items if v.archived]
    top = request.query.get("$top")
    if top is not None:
        if not top.isdigit():
            raise ValidationError("'$top' must be a whole number.")
        items = items[: int(top)]
    return items


@router.route("GET", WORKSPACE + "/{kind:models|environments|codes}")
def _list_containers(request: ArmRequest) -> dict[str, Any]:
    spec = _spec(request)
    workspace_for(request)
    group, ws = request.params["group"], request.params["workspace"]
    by_name: dict[str, list[Any]] = {}
    for latest in spec.list_versions(request.platform, group, ws, None):
        by_name.setdefault(str(latest.name), [])  # type: ignore[attr-defined]
    bodies = [
        _container_body(spec, name, spec.list_versions(request.platform, group, ws, name), request)
        for name in sorted(by_name)
    ]
    return page(bodies)


@router.route("GET", WORKSPACE + "/{kind:models|environments|codes}/{name}")
def _get_container(request: ArmRequest) -> dict[str, Any]:
    spec = _spec(request)
    workspace_for(request)
    p = request.params
    versions = list(spec.list_versions(request.platform, p["group"], p["workspace"], p["name"]))
    if not versions:
        raise NotFoundError(f"{spec.kind[:-1].capitalize()} container '{p['name']}' was not found.")
    return _container_body(spec, p["name"], versions, request)


@router.route("GET", WORKSPACE + "/{kind:models|environments|codes}/{name}/versions")
def _list_versions(request: ArmRequest) -> dict[str, Any]:
    spec = _spec(request)
    workspace_for(request)
    p = request.params
    if spec.kind == "codes" and request.query.get("hash"):
        found: list[Any] = codes.list_codes(
            request.platform,
            p["group"],
            p["workspace"],
            p["name"],
            content_hash=request.query["hash"],
        )
    else:
        found = list(spec.list_versions(request.platform, p["group"], p["workspace"], p["name"]))
    return page(_version_body(spec, v, request) for v in _ordered(found, request))


@router.route("GET", WORKSPACE + "/{kind:models|environments|codes}/{name}/versions/{version}")
def _get_version(request: ArmRequest) -> dict[str, Any]:
    spec = _spec(request)
    workspace_for(request)
    p = request.params
    found = spec.get_version(request.platform, p["group"], p["workspace"], p["name"], p["version"])
    return _version_body(spec, found, request)


@router.route("PUT", WORKSPACE + "/{kind:models|environments|codes}/{name}/versions/{version}")
def _put_version(request: ArmRequest) -> ArmReply:
    spec = _spec(request)
    workspace_for(request)
    p = request.params
    made = spec.create(request, p["name"], p["version"], _fields(request.json_object()))
    return ArmReply(_version_body(spec, made, request), 201)


@router.route("POST", WORKSPACE + "/codes/{name}/versions/{version}/startPendingUpload")
def _start_pending_upload(request: ArmRequest) -> dict[str, Any]:
    """A container and a short-lived SAS to upload a code folder into (azure-ai-ml's
    ``create_or_get_start_pending_upload``)."""
    workspace_for(request)
    body = request.json_object()
    kind = body.get("pendingUploadType") or "TemporaryBlobReference"
    if kind != "TemporaryBlobReference":
        raise ValidationError("pendingUploadType must be TemporaryBlobReference.")
    pending = codes.start_pending_upload(
        request.platform, request.params["group"], request.params["workspace"]
    )
    return {
        "blobReferenceForConsumption": {
            "blobUri": pending.blob_uri,
            "storageAccountArmId": pending.storage_account_id,
            "credential": {"credentialType": "SAS", "sasUri": pending.sas_uri},
        },
        "pendingUploadId": body.get("pendingUploadId") or pending.blob_uri.rsplit("/", 1)[-1],
        "pendingUploadType": "TemporaryBlobReference",
    }
