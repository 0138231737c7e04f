"""``ml_client.online_endpoints`` and ``ml_client.online_deployments`` (azure-ai-ml's names)."""

from __future__ import annotations

import builtins
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from basin.errors import BasinError, NotFoundError, ValidationError, error_from_code
from basin.ids import validate_name
from basin.sdk import _http
from basin.sdk.operations._assets import WORKSPACE
from basin.sdk.operations._scope import Scope, parse
from basin.sdk.poller import BasinPoller

if TYPE_CHECKING:
    from basin.entities import (
        EndpointAuthKeys,
        EndpointAuthToken,
        Environment,
        ManagedOnlineDeployment,
        ManagedOnlineEndpoint,
    )
    from basin.local import LocalEndpoints

__all__ = ["OnlineDeploymentOperations", "OnlineEndpointOperations"]

_FINAL = ("Succeeded", "Failed", "Canceled")


class _Online:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _local(self) -> LocalEndpoints:
        """Endpoints on this machine (``local=True``), as azure-ai-ml's local endpoints; the
        server is asked only for the ``azureml:`` models and environments they name."""
        from basin.local import LocalEndpoints
        from basin.sdk._connection import basin_home

        home = basin_home()
        return LocalEndpoints(
            home / "local" / "endpoints",
            home=home,
            download_model=self._download_model,
            get_environment=self._registered_environment,
        )

    def _download_model(self, reference: str, target: Path) -> Path:
        from basin.sdk.operations.models import ModelOperations

        ops = ModelOperations(self._scope)
        name, _, version = reference.removeprefix("azureml:").partition(":")
        name, _, label = name.partition("@")
        model = ops.get(name, version or None, label or (None if version else "latest"))
        assert model.name and model.version
        return ops.download(model.name, model.version, target)

    def _registered_environment(self, reference: str) -> Environment:
        from basin.sdk.operations.environments import EnvironmentOperations

        name, _, version = reference.removeprefix("azureml:").partition(":")
        name, _, label = name.partition("@")
        return EnvironmentOperations(self._scope).get(name, version or None, label or None)

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
        self, endpoint: ManagedOnlineEndpoint, *, local: bool = False, **_: Any
    ) -> BasinPoller[ManagedOnlineEndpoint]:
        from basin.entities import ManagedOnlineEndpoint

        if local:
            return BasinPoller.completed(self._local().put_endpoint(endpoint))
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
        return BasinPoller.completed(parse(ManagedOnlineEndpoint, data))

    def begin_update(self, name: str, patch: dict[str, Any]) -> BasinPoller[ManagedOnlineEndpoint]:
        from basin.entities import ManagedOnlineEndpoint

        data = self._scope.transport.request("PATCH", self._endpoint(name), json=patch)
        return BasinPoller.completed(parse(ManagedOnlineEndpoint, data))

    def get(self, name: str, *, local: bool = False, **_: Any) -> ManagedOnlineEndpoint:
        from basin.entities import ManagedOnlineEndpoint

        return parse(ManagedOnlineEndpoint, self.get_data(name, local=local))

    def get_data(self, name: str, *, local: bool = False) -> dict[str, Any]:
        """The endpoint as JSON (what the CLI prints), without building the model."""
        if local:
            return self._local().endpoint_data(name)
        data: dict[str, Any] = self._scope.transport.request("GET", self._endpoint(name))
        return data

    def list(self, *, local: bool = False, **_: Any) -> list[ManagedOnlineEndpoint]:
        from basin.entities import ManagedOnlineEndpoint

        return [parse(ManagedOnlineEndpoint, item) for item in self.list_data(local=local)]

    def list_data(self, *, local: bool = False) -> builtins.list[dict[str, Any]]:
        if local:
            return self._local().list_endpoints()
        return list(self._scope.transport.request("GET", self._endpoints())["value"])

    def begin_delete(
        self, name: str | None = None, *, local: bool = False, **_: Any
    ) -> BasinPoller[None]:
        if not name:
            raise ValidationError("begin_delete needs the endpoint's name.")
        if local:
            self._local().delete_endpoint(name)
        else:
            self._scope.transport.request("DELETE", self._endpoint(name))
        return BasinPoller.completed(None)

    def get_keys(self, name: str) -> EndpointAuthKeys | EndpointAuthToken:
        from basin.entities import EndpointAuthKeys, EndpointAuthToken

        data = self.get_keys_data(name)
        if "access_token" in data:
            return parse(EndpointAuthToken, data)
        return parse(EndpointAuthKeys, data)

    def get_keys_data(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = self._scope.transport.request(
            "POST", self._endpoint(name) + "/listKeys"
        )
        return data

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
        local: bool = False,
        timeout: float = 200,
        **_: Any,
    ) -> str:
        """POST the request file (JSON) to the endpoint's scoring URI, as azure-ai-ml does."""
        if request_file is not None:
            content = Path(request_file).read_bytes()
        elif data is not None:
            content = json.dumps(data).encode()
        else:
            raise ValidationError("invoke needs request_file= (a JSON file) or data=.")
        headers = {"Content-Type": "application/json"}
        if local:
            uri = self._local().scoring_uri(endpoint_name, deployment_name)
        else:
            endpoint = self.get_data(endpoint_name)
            keys = self.get_keys_data(endpoint_name)
            secret = keys.get("primary_key") or keys.get("access_token")
            headers["Authorization"] = f"Bearer {secret}"
            if deployment_name:
                headers["azureml-model-deployment"] = deployment_name
            uri = str(endpoint["scoring_uri"])
        response = _http.post(uri, content, headers, timeout=timeout)
        if response.status_code >= 400:
            raise _scoring_error(response)
        return response.text


def _scoring_error(response: _http.Response) -> BasinError:
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
        from basin.entities import Environment, Model
        from basin.loaders import read_conda_file
        from basin.sdk.operations.models import upload_local_path

        body = deployment.model_dump(
            mode="json",
            exclude_none=True,
            exclude={"id", "created_at", "provisioning_state", "provisioning_message"},
        )
        code = deployment.code_configuration
        if code is not None and not code.code.startswith("azureml:"):
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
        self, deployment: ManagedOnlineDeployment, *, local: bool = False, **_: Any
    ) -> BasinPoller[ManagedOnlineDeployment]:
        """Start provisioning; ``.result()`` waits for Succeeded (or raises with the reason)."""
        endpoint_name = deployment.endpoint_name
        if not endpoint_name:
            raise ValidationError("The deployment needs its endpoint_name.")
        if local:
            # As azure-ai-ml's local deployments: the call returns once the replica answers
            # (or raises why it did not); the poller it returns is already done.
            poller = BasinPoller(self._local().put_deployment(deployment), interval=0.1)
            return BasinPoller.completed(poller.result())
        path = self._deployment(endpoint_name, deployment.name)
        self._scope.transport.request("PUT", path, json=self._prepare(deployment))
        return BasinPoller(lambda: self._check(path), interval=0.1)

    def _check(self, path: str) -> tuple[bool, ManagedOnlineDeployment, str]:
        from basin.entities import ManagedOnlineDeployment

        current = parse(ManagedOnlineDeployment, self._scope.transport.request("GET", path))
        state = current.provisioning_state or "Unknown"
        if state == "Failed":
            raise error_from_code(
                "DeploymentFailed",
                f"Deployment '{current.name}' failed: {current.provisioning_message}",
                422,
            )
        return state in _FINAL, current, state

    def get(
        self, name: str, endpoint_name: str, *, local: bool = False, **_: Any
    ) -> ManagedOnlineDeployment:
        from basin.entities import ManagedOnlineDeployment

        return parse(ManagedOnlineDeployment, self.get_data(name, endpoint_name, local=local))

    def get_data(self, name: str, endpoint_name: str, *, local: bool = False) -> dict[str, Any]:
        """The deployment as JSON (what the CLI prints), without building the model."""
        if local:
            return self._local().deployment_data(endpoint_name, name)
        data: dict[str, Any] = self._scope.transport.request(
            "GET", self._deployment(endpoint_name, name)
        )
        return data

    def list(
        self, endpoint_name: str, *, local: bool = False, **_: Any
    ) -> list[ManagedOnlineDeployment]:
        from basin.entities import ManagedOnlineDeployment

        return [
            parse(ManagedOnlineDeployment, item)
            for item in self.list_data(endpoint_name, local=local)
        ]

    def list_data(
        self, endpoint_name: str, *, local: bool = False
    ) -> builtins.list[dict[str, Any]]:
        if local:
            return self._local().list_deployments(endpoint_name)
        data = self._scope.transport.request("GET", f"{self._endpoint(endpoint_name)}/deployments")
        return list(data["value"])

    def begin_delete(
        self, name: str, endpoint_name: str, *, local: bool = False, **_: Any
    ) -> BasinPoller[None]:
        if local:
            self._local().delete_deployment(endpoint_name, name)
        else:
            self._scope.transport.request("DELETE", self._deployment(endpoint_name, name))
        return BasinPoller.completed(None)

    def get_logs(
        self,
        name: str,
        endpoint_name: str,
        lines: int = 5000,
        *,
        container_type: str | None = None,
        local: bool = False,
        **_: Any,
    ) -> str:
        """The last ``lines`` lines of the replicas' output (``container_type``
        ``storage-initializer``: what was laid out for them, model and code)."""
        kind = _container(container_type)
        if local:
            return self._local().logs(endpoint_name, name, lines, kind)
        body: dict[str, Any] = {"tail": lines, "containerType": kind}
        data = self._scope.transport.request(
            "POST", self._deployment(endpoint_name, name) + "/getLogs", json=body
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
                self.get_data(name, endpoint_name)
            except NotFoundError:
                return
            time.sleep(0.1)


#: az's and azure-ai-ml's spellings of the two containers of a deployment's replica.
_CONTAINERS = {
    "inference-server": "InferenceServer",
    "inferenceserver": "InferenceServer",
    "inference_server": "InferenceServer",
    "storage-initializer": "StorageInitializer",
    "storageinitializer": "StorageInitializer",
    "storage_initializer": "StorageInitializer",
}


def _container(value: str | None) -> str:
    if value is None:
        return "InferenceServer"
    try:
        return _CONTAINERS[value.lower()]
    except KeyError:
        raise ValidationError(
            f"--container '{value}' is not a container of a deployment: use inference-server "
            "or storage-initializer."
        ) from None
