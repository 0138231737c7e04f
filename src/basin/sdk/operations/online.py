"""``ml_client.online_endpoints`` and ``ml_client.online_deployments`` (azure-ai-ml's names)."""

from __future__ import annotations

import builtins
import json
import time
from pathlib import Path
from typing import Any

import httpx

from basin.entities import (
    EndpointAuthKeys,
    EndpointAuthToken,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    parse_entity,
)
from basin.errors import BasinError, NotFoundError, ValidationError, error_from_code
from basin.ids import validate_name
from basin.loaders import read_conda_file
from basin.sdk.operations._assets import WORKSPACE
from basin.sdk.operations._scope import Scope
from basin.sdk.operations.models import upload_local_path
from basin.sdk.poller import BasinPoller

__all__ = ["OnlineDeploymentOperations", "OnlineEndpointOperations"]

_FINAL = ("Succeeded", "Failed", "Canceled")


class _Online:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _endpoints(self) -> str:
        return (
            self._scope.group_path()
            + WORKSPACE.format(ws=self._scope.workspace())
            + "/onlineEndpoints"
        )

    def _endpoint(self, name: str) -> str:
        return f"{self._endpoints()}/{validate_name('endpoint', name)}"


class OnlineEndpointOperations(_Online):
    def begin_create_or_update(
        self, endpoint: ManagedOnlineEndpoint, **_: Any
    ) -> BasinPoller[ManagedOnlineEndpoint]:
        body = endpoint.model_dump(
            mode="json",
            exclude_none=True,
            exclude={
                "id",
                "created_at",
                "scoring_uri",
                "openapi_uri",
                "provisioning_state",
                "location",
            },
        )
        data = self._scope.transport.request("PUT", self._endpoint(endpoint.name), json=body)
        return BasinPoller.completed(parse_entity(ManagedOnlineEndpoint, data))

    def begin_update(self, name: str, patch: dict[str, Any]) -> BasinPoller[ManagedOnlineEndpoint]:
        data = self._scope.transport.request("PATCH", self._endpoint(name), json=patch)
        return BasinPoller.completed(parse_entity(ManagedOnlineEndpoint, data))

    def get(self, name: str, **_: Any) -> ManagedOnlineEndpoint:
        return parse_entity(
            ManagedOnlineEndpoint, self._scope.transport.request("GET", self._endpoint(name))
        )

    def list(self, **_: Any) -> list[ManagedOnlineEndpoint]:
        data = self._scope.transport.request("GET", self._endpoints())
        return [parse_entity(ManagedOnlineEndpoint, item) for item in data["value"]]

    def begin_delete(self, name: str | None = None, **_: Any) -> BasinPoller[None]:
        if not name:
            raise ValidationError("begin_delete needs the endpoint's name.")
        self._scope.transport.request("DELETE", self._endpoint(name))
        return BasinPoller.completed(None)

    def get_keys(self, name: str) -> EndpointAuthKeys | EndpointAuthToken:
        data = self._scope.transport.request("POST", self._endpoint(name) + "/listKeys")
        if "access_token" in data:
            return parse_entity(EndpointAuthToken, data)
        return parse_entity(EndpointAuthKeys, data)

    def begin_regenerate_keys(self, name: str, *, key_type: str = "primary") -> BasinPoller[None]:
        self._scope.transport.request(
            "POST", self._endpoint(name) + "/regenerateKeys", json={"keyType": key_type}
        )
        return BasinPoller.completed(None)

    def get_metrics(
        self, name: str, *, window: str = "15m", deployment_name: str | None = None
    ) -> dict[str, Any]:
        """Requests/s, latency p50/p95/p99, status codes and ready replicas over ``window``
        (``15m``, ``1h`` or ``24h``), for the endpoint or one deployment (basin's own call)."""
        params = {"window": window}
        if deployment_name:
            params["deployment"] = validate_name("deployment", deployment_name)
        data: dict[str, Any] = self._scope.transport.request(
            "GET", self._endpoint(name) + "/metrics", params=params
        )
        return data

    def invoke(
        self,
        endpoint_name: str,
        *,
        request_file: str | Path | None = None,
        deployment_name: str | None = None,
        data: Any = None,
        timeout: float = 200,
        **_: Any,
    ) -> str:
        """POST the request file (JSON) to the endpoint's scoring URI, as azure-ai-ml does."""
        endpoint = self.get(endpoint_name)
        credentials = self.get_keys(endpoint_name)
        secret = (
            credentials.primary_key
            if isinstance(credentials, EndpointAuthKeys)
            else credentials.access_token
        )
        if request_file is not None:
            content = Path(request_file).read_bytes()
        elif data is not None:
            content = json.dumps(data).encode()
        else:
            raise ValidationError("invoke needs request_file= (a JSON file) or data=.")
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        if deployment_name:
            headers["azureml-model-deployment"] = deployment_name
        assert endpoint.scoring_uri is not None
        response = httpx.post(
            endpoint.scoring_uri, content=content, headers=headers, timeout=timeout
        )
        if response.status_code >= 400:
            raise _scoring_error(response)
        return response.text


def _scoring_error(response: httpx.Response) -> BasinError:
    try:
        body = response.json()
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        message = str(error.get("message") or response.text)
    except (ValueError, AttributeError):
        message = response.text
    reason = response.headers.get("ms-azureml-model-error-reason")
    detail = (
        f" (model answered {response.headers.get('ms-azureml-model-error-statuscode')}: {reason})"
        if reason
        else ""
    )
    return error_from_code(
        "", f"The endpoint answered {response.status_code}: {message}{detail}", response.status_code
    )


class OnlineDeploymentOperations(_Online):
    def _deployment(self, endpoint_name: str, name: str) -> str:
        return f"{self._endpoint(endpoint_name)}/deployments/{validate_name('deployment', name)}"

    def _prepare(self, deployment: ManagedOnlineDeployment) -> dict[str, Any]:
        """Upload what is local (code folder, inline model) and read inline conda files."""
        body = deployment.model_dump(
            mode="json",
            exclude_none=True,
            exclude={"id", "created_at", "provisioning_state", "provisioning_message"},
        )
        code = deployment.code_configuration
        if code is not None and not code.code.startswith("azureml://"):
            folder = Path(code.code)
            if not (folder / code.scoring_script).is_file():
                raise ValidationError(
                    f"The scoring script '{code.scoring_script}' is not in the code folder '{folder}'."
                )
            body["code_configuration"]["code"] = upload_local_path(self._scope, folder)
        if (
            isinstance(deployment.model, Model)
            and deployment.model.path
            and not deployment.model.path.startswith("azureml://")
        ):
            body["model"]["path"] = upload_local_path(self._scope, deployment.model.path)
            body["model"].setdefault("name", "inline")
        if isinstance(deployment.environment, Environment) and isinstance(
            deployment.environment.conda_file, str
        ):
            body["environment"]["conda_file"] = read_conda_file(
                deployment.environment.conda_file, Path.cwd()
            )
        return body

    def begin_create_or_update(
        self, deployment: ManagedOnlineDeployment, **_: Any
    ) -> BasinPoller[ManagedOnlineDeployment]:
        """Start provisioning; ``.result()`` waits for Succeeded (or raises with the reason)."""
        endpoint_name = deployment.endpoint_name
        if not endpoint_name:
            raise ValidationError("The deployment needs its endpoint_name.")
        path = self._deployment(endpoint_name, deployment.name)
        self._scope.transport.request("PUT", path, json=self._prepare(deployment))
        return BasinPoller(lambda: self._check(path), interval=0.1)

    def _check(self, path: str) -> tuple[bool, ManagedOnlineDeployment, str]:
        current = parse_entity(ManagedOnlineDeployment, self._scope.transport.request("GET", path))
        state = current.provisioning_state or "Unknown"
        if state == "Failed":
            raise error_from_code(
                "DeploymentFailed",
                f"Deployment '{current.name}' failed: {current.provisioning_message}",
                422,
            )
        return state in _FINAL, current, state

    def get(self, name: str, endpoint_name: str, **_: Any) -> ManagedOnlineDeployment:
        return parse_entity(
            ManagedOnlineDeployment,
            self._scope.transport.request("GET", self._deployment(endpoint_name, name)),
        )

    def list(self, endpoint_name: str, **_: Any) -> list[ManagedOnlineDeployment]:
        data = self._scope.transport.request("GET", f"{self._endpoint(endpoint_name)}/deployments")
        return [parse_entity(ManagedOnlineDeployment, item) for item in data["value"]]

    def begin_delete(self, name: str, endpoint_name: str, **_: Any) -> BasinPoller[None]:
        self._scope.transport.request("DELETE", self._deployment(endpoint_name, name))
        return BasinPoller.completed(None)

    def get_logs(
        self,
        name: str,
        endpoint_name: str,
        lines: int = 5000,
        *,
        container_type: str | None = None,
        **_: Any,
    ) -> str:
        data = self._scope.transport.request(
            "POST", self._deployment(endpoint_name, name) + "/getLogs", json={"tail": lines}
        )
        return str(data["content"])

    def export(
        self,
        name: str,
        endpoint_name: str,
        *,
        format: str = "kubernetes",
        image: str | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """basin's own: the deployment as manifests of another platform (Kubernetes).

        They are checked against the ``kubernetes`` client's models, not run on a cluster."""
        body: dict[str, Any] = {"format": format}
        if image is not None:
            body["image"] = image
        data = self._scope.transport.request(
            "POST", self._deployment(endpoint_name, name) + "/export", json=body
        )
        return list(data["manifests"])

    def wait_until_gone(self, name: str, endpoint_name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.get(name, endpoint_name)
            except NotFoundError:
                return
            time.sleep(0.1)
