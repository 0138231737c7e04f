"""Local endpoints: ``--local`` and ``local=True``, as Azure ML's local endpoints behave.

Azure's local endpoints build the deployment's image with the local Docker engine and run it as
a container on this machine: no cloud deployment, no keys, ``http://localhost:<port>/score``.
basin does the same without a container engine: the environment is built with basin's own
builder (uv, the same cache the server uses), and the scoring runtime runs in it as a process
of its own, listening on a free local port, straight (no gateway, no auth). The endpoint and
its one deployment are files under ``$BASIN_HOME/local/endpoints/<name>/``; the process keeps
serving after the command returns, until ``delete --local``.

What is local is read from this machine: the code folder, the model's path, the conda file.
``azureml:`` references to registered models and environments are fetched from the server.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from basin.errors import DeploymentFailedError, NotFoundError, ValidationError
from basin.files import replace_file
from basin.ids import validate_name

if TYPE_CHECKING:
    from basin.entities import Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint

#: ``(reference, target folder) -> the model's folder``: an ``azureml:`` model, downloaded.
DownloadModel = Callable[[str, Path], Path]
#: ``reference -> Environment``: an ``azureml:`` environment, as registered.
GetEnvironment = Callable[[str], "Environment"]

__all__ = ["LocalEndpoints"]

#: How long a replica may take to answer its liveness route before the deployment fails.
READY_TIMEOUT_S = 600.0
_FINAL = ("Succeeded", "Failed")
#: The caller's variables a local replica keeps (proxy and CA settings, as `basin env` prints).
_PASSED_THROUGH = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, json.dumps(data, indent=2))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    kept = text.splitlines(keepends=True)[-lines:] if lines > 0 else []
    return "".join(kept)


class LocalEndpoints:
    """The local endpoints under ``root`` (``$BASIN_HOME/local/endpoints``). The SDK gives the
    two functions that reach the server, for ``azureml:`` references only."""

    def __init__(
        self,
        root: Path,
        *,
        home: Path,
        download_model: DownloadModel | None = None,
        get_environment: GetEnvironment | None = None,
    ) -> None:
        self.root = root
        self._home = home
        self._download = download_model
        self._environment = get_environment

    # -------------------------------------------------------------------------- endpoints
    def _folder(self, name: str) -> Path:
        return self.root / validate_name("endpoint", name)

    def _endpoint_file(self, name: str) -> Path:
        return self._folder(name) / "endpoint.json"

    def _stored_endpoint(self, name: str) -> dict[str, Any]:
        found = _read_json(self._endpoint_file(name))
        if found is None:
            raise NotFoundError(
                f"Local endpoint '{name}' was not found: create it with "
                f"basin online-endpoint create --local -n {name} (or "
                "begin_create_or_update(endpoint, local=True))."
            )
        return found

    def put_endpoint(self, endpoint: ManagedOnlineEndpoint) -> ManagedOnlineEndpoint:
        from basin.entities import ManagedOnlineEndpoint, parse_entity

        data = endpoint.model_dump(
            mode="json",
            exclude_none=True,
            exclude={"id", "scoring_uri", "openapi_uri", "provisioning_state", "created_at"},
        )
        previous = _read_json(self._endpoint_file(endpoint.name)) or {}
        data["created_at"] = previous.get("created_at") or _now()
        _write_json(self._endpoint_file(endpoint.name), data)
        return parse_entity(ManagedOnlineEndpoint, self.endpoint_data(endpoint.name))

    def endpoint_data(self, name: str) -> dict[str, Any]:
        data = dict(self._stored_endpoint(name))
        deployments = self.list_deployments(name)
        data.update(
            location="local",
            kind="Managed",
            provisioning_state="Succeeded",
            traffic={d["name"]: 100 for d in deployments[:1]},
        )
        port = next((d.get("port") for d in deployments if d.get("port")), None)
        if port:
            data["scoring_uri"] = f"http://localhost:{port}/score"
            data["openapi_uri"] = f"http://localhost:{port}/swagger.json"
        return data

    def list_endpoints(self) -> builtins.list[dict[str, Any]]:
        if not self.root.is_dir():
            return []
        return [
            self.endpoint_data(path.parent.name)
            for path in sorted(self.root.glob("*/endpoint.json"))
        ]

    def delete_endpoint(self, name: str) -> None:
        self._stored_endpoint(name)
        for deployment in self.list_deployments(name):
            self.delete_deployment(name, deployment["name"])
        shutil.rmtree(self._folder(name), ignore_errors=True)

    def scoring_uri(self, endpoint: str, deployment: str | None) -> str:
        self._stored_endpoint(endpoint)
        found = self.list_deployments(endpoint)
        if deployment:
            found = [d for d in found if d["name"] == deployment]
        running = [d for d in found if d.get("provisioning_state") == "Succeeded"]
        if not running:
            raise NotFoundError(
                f"Local endpoint '{endpoint}' has no running deployment"
                + (f" named '{deployment}'" if deployment else "")
                + ": create one with basin online-deployment create --local."
            )
        return f"http://127.0.0.1:{running[0]['port']}/score"

    # ------------------------------------------------------------------------ deployments
    def _deployment_folder(self, endpoint: str, name: str) -> Path:
        return self._folder(endpoint) / "deployments" / validate_name("deployment", name)

    def deployment_data(self, endpoint: str, name: str) -> dict[str, Any]:
        self._stored_endpoint(endpoint)
        folder = self._deployment_folder(endpoint, name)
        data = _read_json(folder / "deployment.json")
        if data is None:
            raise NotFoundError(
                f"Local deployment '{name}' was not found on endpoint '{endpoint}'."
            )
        return self._refresh(folder, data)

    def list_deployments(self, endpoint: str) -> builtins.list[dict[str, Any]]:
        found = []
        for path in sorted((self._folder(endpoint) / "deployments").glob("*/deployment.json")):
            data = _read_json(path)
            if data is not None:
                found.append(self._refresh(path.parent, data))
        return found

    def _refresh(self, folder: Path, data: dict[str, Any]) -> dict[str, Any]:
        """A Succeeded deployment whose process has gone is Failed (as a crashed container)."""
        from basin.compute.local.detached import alive

        pid = data.get("pid")
        if data.get("provisioning_state") == "Succeeded" and pid and not alive(int(pid)):
            data = {
                **data,
                "provisioning_state": "Failed",
                "provisioning_message": "The replica exited; see get-logs --local.",
            }
            _write_json(folder / "deployment.json", data)
        return data

    def delete_deployment(self, endpoint: str, name: str) -> None:
        from basin.compute.local.detached import stop

        folder = self._deployment_folder(endpoint, name)
        data = _read_json(folder / "deployment.json")
        if data is None:
            raise NotFoundError(
                f"Local deployment '{name}' was not found on endpoint '{endpoint}'."
            )
        if data.get("pid"):
            stop(int(data["pid"]))
        shutil.rmtree(folder, ignore_errors=True)

    def logs(self, endpoint: str, name: str, lines: int, container: str) -> str:
        self.deployment_data(endpoint, name)
        folder = self._deployment_folder(endpoint, name)
        which = "storage-initializer" if container == "StorageInitializer" else "inference-server"
        return _tail(folder / f"{which}.log", lines)

    def put_deployment(
        self, deployment: ManagedOnlineDeployment
    ) -> Callable[[], tuple[bool, ManagedOnlineDeployment, str]]:
        """Build the environment, lay out the model and code, start the replica; return the
        check a poller calls until it answers (Succeeded) or exits (Failed)."""
        from basin.compute.local.detached import start_detached, stop

        assert deployment.endpoint_name
        endpoint = deployment.endpoint_name
        self._stored_endpoint(endpoint)
        others = [
            d["name"] for d in self.list_deployments(endpoint) if d["name"] != deployment.name
        ]
        if others:
            raise ValidationError(
                f"Local endpoint '{endpoint}' has the deployment '{others[0]}' already: a local "
                "endpoint holds one deployment, as in Azure ML. Delete it first, or use another "
                "local endpoint."
            )
        folder = self._deployment_folder(endpoint, deployment.name)
        previous = _read_json(folder / "deployment.json")
        if previous and previous.get("pid"):
            stop(int(previous["pid"]))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "storage-initializer.log").unlink(missing_ok=True)
        (folder / "inference-server.log").unlink(missing_ok=True)
        record = deployment.model_dump(mode="json", exclude_none=True)
        record.update(provisioning_state="Creating", created_at=_now())
        record.pop("provisioning_message", None)
        _write_json(folder / "deployment.json", record)

        def log(line: str) -> None:
            with (folder / "storage-initializer.log").open("a", encoding="utf-8") as handle:
                handle.write(f"{_now()} {line}\n")

        try:
            argv, env, cwd = self._prepare(deployment, folder, log)
        except Exception as error:
            message = getattr(error, "message", None) or str(error)
            record.update(provisioning_state="Failed", provisioning_message=message)
            _write_json(folder / "deployment.json", record)
            raise
        port = _free_port()
        argv = [arg.replace("{port}", str(port)) for arg in argv]
        pid = start_detached(argv, env, cwd, folder / "inference-server.log")
        record.update(pid=pid, port=port)
        _write_json(folder / "deployment.json", record)
        deadline = time.monotonic() + READY_TIMEOUT_S

        def check() -> tuple[bool, ManagedOnlineDeployment, str]:
            from basin.compute.local.detached import alive
            from basin.entities import ManagedOnlineDeployment, parse_entity

            state = "Creating"
            if _answers(port):
                state = "Succeeded"
            elif not alive(pid) or time.monotonic() > deadline:
                stop(pid, grace=1.0)
                tail = _tail(folder / "inference-server.log", 30)
                record.update(
                    provisioning_state="Failed",
                    provisioning_message=f"The replica did not start. Last output:\n{tail}",
                )
                _write_json(folder / "deployment.json", record)
                raise DeploymentFailedError(
                    f"Local deployment '{deployment.name}' failed: the replica did not start. "
                    f"Last output:\n{tail}"
                )
            record["provisioning_state"] = state
            _write_json(folder / "deployment.json", record)
            shown = {k: v for k, v in record.items() if k not in ("pid", "port")}
            return state in _FINAL, parse_entity(ManagedOnlineDeployment, shown), state

        return check

    # --------------------------------------------------------------------- what runs
    def _prepare(
        self, deployment: ManagedOnlineDeployment, folder: Path, log: Callable[[str], None]
    ) -> tuple[list[str], dict[str, str], Path]:
        from basin.entities import Environment, Model

        code = deployment.code_configuration
        if code is None:
            raise ValidationError(
                "A local deployment needs code_configuration (code, scoring_script)."
            )
        code_dir = Path(code.code).resolve()
        if not (code_dir / code.scoring_script).is_file():
            raise ValidationError(
                f"The scoring script '{code.scoring_script}' is not in the code folder '{code_dir}'."
            )
        log(f"Code: {code_dir}")
        env = {k: str(v) for k, v in deployment.environment_variables.items()}
        model = deployment.model
        if isinstance(model, Model) and model.path and not model.path.startswith("azureml:"):
            source = Path(model.path).resolve()
            if not source.exists():
                raise ValidationError(f"The model path '{model.path}' does not exist.")
            model_dir = folder / "model"
            shutil.rmtree(model_dir, ignore_errors=True)
            model_dir.mkdir()
            (model_dir / source.name).symlink_to(source, target_is_directory=source.is_dir())
            env["AZUREML_MODEL_DIR"] = str(model_dir)
            log(f"Model: {source} (AZUREML_MODEL_DIR={model_dir})")
        elif model is not None:
            reference = model if isinstance(model, str) else str(model.path)
            env["AZUREML_MODEL_DIR"] = str(self._download_model(reference, folder / "model"))
            log(f"Model {reference} downloaded to {env['AZUREML_MODEL_DIR']}")
        environment = deployment.environment
        if isinstance(environment, str):
            environment = self._registered_environment(environment)
        if not isinstance(environment, Environment):
            raise ValidationError(
                "A local deployment needs an environment (image and/or conda_file)."
            )
        log("Environment: building or reusing it")
        python = self._build(environment, code_dir)
        log(f"Environment ready: {python}")
        # What `basin env` exported in this shell (Azure's host names through basin's proxy,
        # basin's CA) reaches the local replica too, as the server gives it to its replicas.
        for name in _PASSED_THROUGH:
            if name in os.environ and name not in env:
                env[name] = os.environ[name]
        env.update(
            {
                "PATH": os.pathsep.join([str(python.parent), "/usr/local/bin", "/usr/bin", "/bin"]),
                "HOME": str(folder),
                "LANG": "C.UTF-8",
                "PYTHONUNBUFFERED": "1",
                "AML_APP_ROOT": str(code_dir),
                "AZUREML_ENTRY_SCRIPT": code.scoring_script,
            }
        )
        argv = [
            str(python),
            "-m",
            "basin.runtime",
            "--entry_script",
            code.scoring_script,
            "--port",
            "{port}",
        ]
        return argv, env, code_dir

    def _build(self, environment: Any, base: Path) -> Path:
        from uv import find_uv_bin

        from basin.envbuild import EnvironmentBuilder, spec_from_conda, spec_from_requirements
        from basin.loaders import read_conda_file
        from basin.services.environments import with_runtime

        if environment.build is not None:
            raise ValidationError(
                "'build' (a Docker build context) is not supported: basin builds Python "
                "environments without a container engine. Use 'image' with a 'conda_file'."
            )
        conda = environment.conda_file
        if isinstance(conda, str):
            conda = read_conda_file(conda, Path.cwd())
        if conda:
            parsed = spec_from_conda(conda, image=environment.image)
        elif environment.image:
            parsed = spec_from_requirements("", image=environment.image)
        else:
            raise ValidationError("An environment needs an 'image' and/or a 'conda_file'.")
        cache = Path(os.environ.get("BASIN_BUILD_CACHE") or self._home / "envs")
        # Built as the server builds: without this shell's proxy settings (`basin env` sends
        # Azure's host names to basin's proxy, which does not pass package indexes through).
        inherited = {k: v for k, v in os.environ.items() if k not in _PASSED_THROUGH}
        builder = EnvironmentBuilder(cache, Path(find_uv_bin()), inherited_env=inherited)
        allow = bool(getattr(environment, "allow_nearest_python", False))
        spec, _ = with_runtime(parsed.spec, self._home, builder, allow_nearest=allow)
        return builder.build(spec, allow_nearest_python=allow).python

    def _download_model(self, reference: str, target: Path) -> Path:
        if self._download is None:
            raise ValidationError(f"'{reference}' is on a basin server, and none was given.")
        shutil.rmtree(target, ignore_errors=True)
        return self._download(reference, target)

    def _registered_environment(self, reference: str) -> Environment:
        if self._environment is None:
            raise ValidationError(f"'{reference}' is on a basin server, and none was given.")
        return self._environment(reference)
