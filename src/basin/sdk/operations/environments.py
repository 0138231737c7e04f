"""``ml_client.environments``, with azure-ai-ml's method names, plus private wheels."""

from __future__ import annotations

import builtins
import time
from pathlib import Path
from typing import Any

from basin.entities import Environment, EnvironmentBuildState, parse_entity
from basin.errors import BuildFailedError, ValidationError
from basin.loaders import read_conda_file
from basin.sdk.operations._assets import VersionedAssetOperations
from basin.sdk.operations._scope import Scope
from basin.sdk.operations.models import upload_local_path

__all__ = ["EnvironmentOperations"]

_DONE = (EnvironmentBuildState.SUCCEEDED, EnvironmentBuildState.FAILED)


class EnvironmentOperations(VersionedAssetOperations[Environment]):
    kind = "environments"
    entity = Environment

    def __init__(self, scope: Scope, registry_name: str | None = None) -> None:
        super().__init__(scope)
        #: ``MLClient(registry_name="azureml")``: get and list read that registry.
        self.registry_name = registry_name

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Environment:
        if self.registry_name is None:
            return super().get(name, version, label)
        path = f"{self._registry()}/{name}/versions/{version or label or 'latest'}"
        return parse_entity(Environment, self._scope.transport.request("GET", path))

    def list(
        self,
        name: str | None = None,
        *,
        archived_only: bool = False,
        include_archived: bool = False,
    ) -> list[Environment]:
        if self.registry_name is None:
            return super().list(
                name, archived_only=archived_only, include_archived=include_archived
            )
        data = self._scope.transport.request("GET", self._registry())
        found = [parse_entity(Environment, item) for item in data["value"]]
        return [env for env in found if name is None or env.name == name]

    def _registry(self) -> str:
        return f"/basin/registries/{self.registry_name}/environments"

    def create_or_update(self, environment: Environment, **_: Any) -> Environment:
        """Register a version and start its build (``wait_for_build`` waits for it).

        A ``conda_file`` given as a path is read here, relative to the current folder."""
        if not environment.name:
            raise ValidationError("An environment needs a 'name'.")
        body = environment.model_dump(
            mode="json", exclude_none=True, exclude={"id", "created_at", "archived"}
        )
        if isinstance(environment.conda_file, str):
            body["conda_file"] = read_conda_file(environment.conda_file, Path.cwd())
        base = self._base(environment.name)
        path = (
            f"{base}/versions/{environment.version}" if environment.version else f"{base}/versions"
        )
        return parse_entity(Environment, self._scope.transport.request("PUT", path, json=body))

    def get_logs(self, name: str, version: str) -> str:
        """The build log (what uv printed; secrets redacted)."""
        with self._scope.transport.stream(
            "GET", f"{self._base(name)}/versions/{version}/logs"
        ) as chunks:
            return b"".join(chunks).decode(errors="replace")

    def wait_for_build(
        self, name: str, version: str, *, timeout: float = 1800, interval: float = 0.5
    ) -> Environment:
        """Poll until the build succeeds (returned) or fails (BuildFailedError with its reason)."""
        deadline = time.monotonic() + timeout
        while True:
            env = self.get(name, version)
            if env.build_state in _DONE:
                if env.build_state == EnvironmentBuildState.FAILED:
                    raise BuildFailedError(env.build_message or "The environment build failed.")
                return env
            if time.monotonic() > deadline:
                raise BuildFailedError(
                    f"The build of {name}:{version} did not finish in {timeout:.0f} s."
                )
            time.sleep(interval)

    def add_private_pip_wheel(self, file_path: str | Path, exist_ok: bool = False) -> str:
        """Upload a wheel into the workspace; returns the URL to put in a pip list (readable only
        with the workspace's rights) — Azure ML's ``Environment.add_private_pip_wheel``."""
        local = Path(file_path)
        if not local.is_file() or local.suffix != ".whl":
            raise ValidationError(f"'{file_path}' is not a wheel file (.whl).")
        uri = upload_local_path(self._scope, local)
        data = self._scope.transport.request(
            "PUT", f"{self._workspace()}/wheels/{local.name}", json={"path": uri}
        )
        return str(data["url"])

    def list_wheels(self) -> builtins.list[dict[str, Any]]:
        return list(self._scope.transport.request("GET", f"{self._workspace()}/wheels")["value"])

    def package_index_url(self) -> str:
        """The workspace's own simple index (use a basin token as the basic-auth password)."""
        return f"{self._scope.transport.connection.server}{self._workspace()}/pypi/simple/"
