"""The serving controller: from stored deployments to running replicas and gateway routes.

It reconciles: a deployment that is created, updated or found at start is provisioned in the
background (environment built or reused, model and code laid out, the identity's roles checked,
replicas applied to the compute back end and awaited); every change of an endpoint, a deployment
or a replica's readiness rebuilds that endpoint's route in the gateway's table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from basin.compute import (
    LISTEN_FD_PLACEHOLDER,
    SOCKET_PLACEHOLDER,
    Artifact,
    ComputeBackend,
    DeploymentState,
    DeploymentStatus,
    InstanceTypes,
    ProbeSettings,
    ReplicaSpec,
)
from basin.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint, Workspace
from basin.entities import ProbeSettings as EntityProbe
from basin.errors import BasinError, DeploymentFailedError
from basin.gateway import DeploymentRoute, EndpointRoute, MirrorTraffic, RoutingTable
from basin.identity import ACR_PULL, BLOB_READ
from basin.services import (
    access,
    deployments,
    endpoints,
    environments,
    mlflow_models,
    msi,
    workspaces,
)
from basin.services._resources import from_stored
from basin.services.artifacts import ArtifactShelf
from basin.services.client_env import client_environment
from basin.services.platform import Platform

__all__ = ["ServingController", "wait_for_removal"]

logger = logging.getLogger("basin.serving")

ReplicaHook = Callable[[str, str], Mapping[str, str]]
GoneHook = Callable[[str, str], None]

#: How long a deployment may take to get all its replicas ready before it is Failed.
PROVISION_TIMEOUT_S = 900.0
#: How long a delete waits for its replicas to stop (drain 1 s, SIGTERM -> SIGKILL 10 s, 5 s).
REMOVAL_WAIT_S = 30.0
#: What a user-assigned identity needs, as in Azure ML: (role, action, data action?, workspace field).
REQUIRED_ROLES = (
    ("AcrPull", ACR_PULL, False, "container_registry"),
    ("Storage Blob Data Reader", BLOB_READ, True, "storage_account"),
)
#: Stored states in which ``show`` says why replicas wait, and how such a reason starts.
_WAITING_STATES = ("Creating", "Updating", "Succeeded")
_QUOTA = "Not enough quota"
_REPLICA_TIMEOUT_LAG_MS = 1000  # the replica's own timeout: this long after the gateway's
#: Environment a replica never takes from the user (the platform sets it).
_RESERVED = (
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZUREML_MODEL_DIR",
    "AZUREML_ENTRY_SCRIPT",
    "AML_APP_ROOT",
    "MLFLOW_MODEL_FOLDER",
)


def _waiting_reason(status: DeploymentStatus) -> str:
    """Why a replica of the deployment waits to be placed (e.g. not enough quota), if one does."""
    return next((r.waiting_for for r in status.replicas if r.waiting_for), "")


def _probe(settings: EntityProbe) -> ProbeSettings:
    return ProbeSettings(
        initial_delay=settings.initial_delay,
        period=settings.period,
        timeout=settings.timeout,
        success_threshold=settings.success_threshold,
        failure_threshold=settings.failure_threshold,
    )


class ServingController:
    def __init__(
        self,
        platform: Platform,
        compute_factory: Callable[[ReplicaHook, GoneHook], ComputeBackend],
        table: RoutingTable,
        *,
        publish: Callable[[RoutingTable], None] | None = None,
        instance_types: InstanceTypes | None = None,
        artifacts: ArtifactShelf | None = None,
    ) -> None:
        """``compute_factory(replica_env, replica_gone)`` makes the back end with this
        controller's per-replica hooks (each replica's own managed-identity secret)."""
        self.platform = platform
        self.compute = compute_factory(self.replica_env, self.replica_gone)
        self.table = table
        self.instance_types = instance_types or InstanceTypes()
        #: What nodes of a distributed back end may fetch (None: every node sees our disk).
        self.artifacts = artifacts
        #: Hands the table to a gateway in its own process after every change.
        self._publish_to = publish
        self._table_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="provision")
        self._generation: dict[str, int] = {}
        self._lock = threading.Lock()
        platform.events.subscribe(deployments.CHANGED, self._deployment_changed)
        platform.events.subscribe(endpoints.CHANGED, self._endpoint_changed)
        self._unsubscribe = self.compute.subscribe(self._status_changed)

    # ---------------------------------------------------------------------------- life cycle
    def start(self) -> None:
        """Bring every stored deployment back to its desired state (after a restart)."""
        msi.unbind_under(self.platform, "/subscriptions")  # secrets of replicas of a past life
        for row in self.platform.store.list(type=endpoints.TYPE):
            self.refresh_route(row.id)
        for deployment in deployments.all_deployments(self.platform):
            if deployment.id:
                self._submit(deployment.id)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._unsubscribe()
        self.compute.close()

    def wait_removed(self, resource_id: str, timeout: float = REMOVAL_WAIT_S) -> bool:
        """Wait until no replica of the deleted deployment ``resource_id``, or of any deployment
        under the deleted endpoint, workspace or group ``resource_id``, runs: as on Azure, a
        delete returns once its resources are free (a GPU, CPUs), not while its replicas drain
        and stop (~1 s). False when some still run at the timeout (a script that ignores
        SIGTERM is killed later)."""
        wanted = resource_id.lower()
        deadline = time.monotonic() + timeout
        while any(
            key == wanted or key.startswith(wanted + "/")
            for key in (status.key.lower() for status in self.compute.deployments())
        ):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def logs(self, deployment_id: str | None, lines: int, container: str = "") -> str:
        """The replicas' output, or (``StorageInitializer``) what was laid out for them."""
        if container.lower() == "storageinitializer":
            path = self._initializer_log(deployment_id or "")
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except FileNotFoundError:
                return ""
            kept = text.splitlines(keepends=True)[-lines:] if lines > 0 else []
            return "".join(kept)
        return self.compute.logs(deployment_id or "", lines)

    def _initializer_log(self, deployment_id: str) -> Path:
        digest = hashlib.sha256(deployment_id.lower().encode()).hexdigest()[:16]
        return self.platform.state_dir / "serving" / "initializer" / f"{digest}.log"

    def _initializer(self, deployment_id: str, line: str) -> None:
        """One line of the storage initializer's log (what Azure ML's storage-initializer
        container prints: the model and code being put in place)."""
        path = self._initializer_log(deployment_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {line}\n")

    # ------------------------------------------------------------------------------ events
    def _deployment_changed(self, deployment_id: str) -> None:
        self._submit(deployment_id)
        self.refresh_route(deployment_id.split("/deployments/")[0])

    def _endpoint_changed(self, endpoint_id: str) -> None:
        if self.platform.store.get(endpoint_id) is None:  # deleted: stop its deployments
            for status in self.compute.deployments():
                if status.key.lower().startswith(endpoint_id.lower() + "/deployments/"):
                    self.compute.remove(status.key)
        self.refresh_route(endpoint_id)

    def _status_changed(self, key: str, status: DeploymentStatus | None) -> None:
        if status is not None and status.state is not DeploymentState.FAILED:
            self._show_waiting(key, status)
        if "/deployments/" in key:
            try:
                self.refresh_route(key.split("/deployments/")[0])
            except Exception:  # a listener must not fail the back end's thread
                logger.exception("Could not refresh the route of %s", key)

    def _show_waiting(self, key: str, status: DeploymentStatus) -> None:
        """While replicas wait for resources, ``show`` says why (Azure: not enough quota).

        Also after success: a deployment whose lost replicas cannot be placed again stays
        Succeeded (as in Azure) and says why it runs short.
        """
        reason = _waiting_reason(status)
        try:
            stored = deployments.get_by_id(self.platform, key)
            if stored is None or stored.provisioning_state not in _WAITING_STATES:
                return
            shown = stored.provisioning_message or ""
            if shown != reason and (reason or shown.startswith(_QUOTA)):
                deployments.set_state(self.platform, key, stored.provisioning_state, reason or None)
        except Exception:  # a listener must not fail the back end's thread
            logger.exception("Could not record why %s waits", key)

    # ------------------------------------------------------------------------------ routes
    def refresh_route(self, endpoint_id: str) -> None:
        """Rebuild one endpoint's gateway entry from the store and the back end."""
        stored = self.platform.store.get(endpoint_id)
        name = endpoint_id.rstrip("/").rsplit("/", 1)[-1]
        if stored is None:
            self.table.remove(name)
            self._publish()
            return
        endpoint = from_stored(ManagedOnlineEndpoint, stored)
        routes = {}
        for row in self.platform.store.list(type=deployments.TYPE, under=endpoint_id):
            deployment = from_stored(ManagedOnlineDeployment, row)
            settings = deployment.request_settings
            routes[deployment.name] = DeploymentRoute(
                replicas=tuple(self.compute.ready_routes(row.id)),
                request_timeout_ms=settings.request_timeout_ms,
                max_concurrent_requests_per_instance=settings.max_concurrent_requests_per_instance,
                max_queue_wait_ms=settings.max_queue_wait_ms,
            )
        traffic = {k: v for k, v in endpoint.traffic.items() if k in routes}
        if sum(traffic.values()) not in (0, 100):
            traffic = {}
        mirror = None
        for target, percent in endpoint.mirror_traffic.items():
            if target in routes and percent:
                mirror = MirrorTraffic(target, percent)
        keys = (
            endpoints.keys(self.platform, endpoint_id) if endpoint.auth_mode.value == "key" else ()
        )
        self.table.put(
            EndpointRoute(
                name=endpoint.name,
                auth_mode=endpoint.auth_mode.value,
                # Only digests: the table is written to disk for the gateway process.
                key_hashes=tuple(hashlib.sha256(k.encode()).hexdigest() for k in keys if k),
                traffic=traffic,
                mirror=mirror,
                deployments=routes,
                token_audience=endpoints.scoring_uri(self.platform, endpoint.name),
                token_verifier=lambda token: endpoints.verify_token(
                    self.platform, endpoint.name, token
                ),
            )
        )
        self._publish()

    def _publish(self) -> None:
        if self._publish_to is not None:
            with self._table_lock:
                self._publish_to(self.table)

    # ------------------------------------------------------------------------ provisioning
    def _submit(self, deployment_id: str) -> None:
        with self._lock:
            generation = self._generation.get(deployment_id, 0) + 1
            self._generation[deployment_id] = generation
        self._pool.submit(self._provision, deployment_id, generation)

    def _current(self, deployment_id: str, generation: int) -> bool:
        with self._lock:
            return self._generation.get(deployment_id) == generation

    def _provision(self, deployment_id: str, generation: int) -> None:
        deployment = deployments.get_by_id(self.platform, deployment_id)
        if deployment is None:
            self.compute.remove(deployment_id)
            msi.unbind_under(self.platform, deployment_id)
            return
        endpoint = deployments.endpoint_of(self.platform, deployment)
        if endpoint is None or endpoint.id is None:
            return
        group, ws = endpoints.workspace_of(endpoint.id)
        try:
            spec = self._spec(group, ws, endpoint, deployment)
            if not self._current(deployment_id, generation):
                return  # a newer change took over
            # Every create or update is a new attempt, even with an unchanged spec: its cause
            # may have been fixed outside it (a blob uploaded, a role assigned).
            self.compute.apply(spec, deployment.instance_count, again=True)
            status = self._await_rollout(deployment_id, deployment.instance_count)
            if status is not None and status.state == DeploymentState.FAILED:
                raise DeploymentFailedError(status.message or "The replicas did not become ready.")
        except BasinError as error:
            if self._current(deployment_id, generation):
                deployments.set_state(self.platform, deployment_id, "Failed", error.message)
            return
        except TimeoutError:
            deployments.set_state(
                self.platform,
                deployment_id,
                "Failed",
                f"The replicas were not ready after {PROVISION_TIMEOUT_S:.0f} s.",
            )
            return
        except Exception:
            logger.exception("Provisioning %s crashed", deployment_id)
            deployments.set_state(
                self.platform, deployment_id, "Failed", "Provisioning crashed; see the server log."
            )
            return
        # The route first: a client that sees Succeeded can score at once.
        self.refresh_route(endpoint.id)
        if self._current(deployment_id, generation):
            deployments.set_state(self.platform, deployment_id, "Succeeded")

    def _await_rollout(self, deployment_id: str, count: int) -> DeploymentStatus | None:
        """Wait for the rollout to settle, saying how far it is (replicas ready of how many)."""
        deadline = time.monotonic() + PROVISION_TIMEOUT_S
        said = ""
        while True:
            current = self.compute.status(deployment_id)
            ready = len(current.ready_endpoints) if current else 0
            # A replica waiting for resources says why (as _show_waiting does): the two agree,
            # or the last writer would hide "Not enough quota" behind the progress line.
            waiting = _waiting_reason(current) if current else ""
            step = waiting or (
                f"Starting replicas: {ready} of {count} ready (probing their liveness route)"
            )
            if step != said:
                deployments.set_step(self.platform, deployment_id, step)
                said = step
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError

            def moved(s: DeploymentStatus | None, seen: int = ready) -> bool:
                return s is None or s.settled or len(s.ready_endpoints) != seen

            try:
                status = self.compute.wait(deployment_id, moved, min(left, 1.0))
            except TimeoutError:
                continue
            if status is None or status.settled:
                return status

    def _check_identity(self, endpoint: ManagedOnlineEndpoint, workspace: Workspace) -> None:
        """A user-assigned identity must hold AcrPull and Storage Blob Data Reader on the
        workspace's registry and storage (a system-assigned one was given them)."""
        _, user_ids = endpoints.identity_of(endpoint)
        for configured in (
            (endpoint.identity.user_assigned_identities or []) if endpoint.identity else []
        ):
            principal = configured.principal_id or configured.object_id
            if principal is None or configured.resource_id not in user_ids:
                continue
            for role, action, data, field in REQUIRED_ROLES:
                scope = getattr(workspace, field)
                if scope and not access.is_allowed(
                    self.platform, principal, action, scope, data=data
                ):
                    raise DeploymentFailedError(
                        f"The endpoint's identity '{configured.resource_id}' lacks the role {role} at "
                        f"scope '{scope}'. Assign it: basin role assignment create --assignee-object-id "
                        f'{principal} --role "{role}" --scope {scope}'
                    )

    def _spec(
        self,
        group: str,
        ws: str,
        endpoint: ManagedOnlineEndpoint,
        deployment: ManagedOnlineDeployment,
    ) -> ReplicaSpec:
        platform = self.platform
        assert deployment.id
        workspace = workspaces.get(platform, group, ws)
        self._check_identity(endpoint, workspace)
        # Azure's host names through basin's proxy, and basin's CA, unless the user set their own.
        env = client_environment(platform)
        log = self._initializer

        def step(text: str) -> None:
            deployments.set_step(platform, deployment.id or "", text)

        model_dir = None
        if isinstance(deployment.model, str):
            step("Laying out the model")
            log(deployment.id, f"Downloading model {deployment.model}")
            model_dir = deployments.layout_model(platform, group, ws, deployment.model)
            env["AZUREML_MODEL_DIR"] = str(model_dir)
            log(deployment.id, f"Model ready in {model_dir} (AZUREML_MODEL_DIR)")
        if deployment.code_configuration is None:  # an MLflow model served without a script
            assert model_dir is not None
            folder = mlflow_models.model_folder(model_dir)
            env["MLFLOW_MODEL_FOLDER"] = folder
            if isinstance(deployment.environment, str):
                environment = environments.resolve(platform, group, ws, deployment.environment)
            else:
                made, _ = mlflow_models.environment_for(model_dir / folder)
                environment = environments.register_anonymous(platform, group, ws, made)
            code_dir = mlflow_models.scoring_folder(platform.state_dir)
            script = mlflow_models.SCRIPT
        else:
            assert isinstance(deployment.environment, str)
            environment = environments.resolve(platform, group, ws, deployment.environment)
            code = deployment.code_configuration
            step("Laying out the code")
            log(deployment.id, f"Downloading code {code.code}")
            code_dir = deployments.layout_code(platform, group, ws, code.code)
            log(deployment.id, f"Code ready in {code_dir}")
            script = code.scoring_script
            if not (code_dir / script).is_file():
                log(deployment.id, f"The scoring script '{script}' is not in the code folder")
                raise DeploymentFailedError(
                    f"The scoring script '{script}' is not in the uploaded code folder."
                )
        step(f"Building or reusing the environment {environment.name}:{environment.version}")
        log(
            deployment.id,
            f"Environment {environment.name}:{environment.version}: building or reusing it",
        )
        built = environments.ensure_built(platform, group, ws, environment)
        log(deployment.id, f"Environment ready: {built.path}")
        resources = self.instance_types.resources(deployment.instance_type)
        argv = [
            str(built.python),
            "-m",
            "basin.runtime",
            "--entry_script",
            script,
            "--host",
            "{host}",
            "--port",
            "{port}",
        ]
        env.update(
            {k: v for k, v in deployment.environment_variables.items() if k not in _RESERVED}
        )
        # The replica gives up on run() just after the gateway does (azmlinfsrv's own default is
        # an hour): a hung run() then costs its request, not the replica's event loop for an
        # hour. Just after: with the same value the two timers raced (libuv's clock counts whole
        # ms) and the client got the replica's 500 as a 424 instead of Azure's 408.
        timeout_ms = deployment.request_settings.request_timeout_ms + _REPLICA_TIMEOUT_LAG_MS
        env.setdefault("SCORING_TIMEOUT_MS", str(timeout_ms))
        home = (
            platform.state_dir
            / "serving"
            / "home"
            / hashlib.sha256(deployment.id.encode()).hexdigest()[:16]
        )
        home.mkdir(parents=True, exist_ok=True)
        env.update(
            {
                "PATH": os.pathsep.join(
                    [str(built.path / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
                ),
                "HOME": str(home),
                "LANG": "C.UTF-8",
                "PYTHONUNBUFFERED": "1",
                "AML_APP_ROOT": str(code_dir),
                "AZUREML_ENTRY_SCRIPT": script,
                "MSI_ENDPOINT": f"{platform.api_endpoint}/basin/msi/token",
                "BASIN_UV": str(platform.builds.builder.uv) if platform.builds else "",
                "BASIN_OVERLAY_CACHE": str(platform.state_dir / "serving" / "overlays"),
                # The gateway reaches a replica on this machine there (a cheaper hop than TCP).
                "BASIN_RUNTIME_SOCKET": SOCKET_PLACEHOLDER,
                # Its port, already listening: nothing can take it between choice and start.
                "BASIN_RUNTIME_LISTEN_FD": LISTEN_FD_PLACEHOLDER,
            }
        )
        spec = ReplicaSpec(
            artifacts=self._artifacts(built.path, code_dir, env.get("AZUREML_MODEL_DIR")),
            key=deployment.id,
            revision="",
            argv=argv,
            env=env,
            cwd=code_dir,
            liveness=_probe(deployment.liveness_probe),
            readiness=_probe(deployment.readiness_probe),
            resources=resources,
        )
        revision = hashlib.sha256(
            json.dumps(
                [
                    spec.argv,
                    sorted(spec.env.items()),
                    str(spec.cwd),
                    repr(spec.liveness),
                    repr(spec.readiness),
                    repr(spec.resources),
                ]
            ).encode()
        ).hexdigest()[:16]
        return dataclasses.replace(spec, revision=revision)

    def _artifacts(self, env_root: Path, code_dir: Path, model_dir: str | None) -> list[Artifact]:
        """What a node needs besides basin and a Python: each named by its content."""
        shelf = self.artifacts
        if shelf is None:
            return []
        home = self.platform.state_dir
        found = [shelf.put(f"env-{env_root.name}", env_root)]
        for pth in env_root.glob("lib/python*/site-packages/basin_runtime.pth"):
            for line in pth.read_text().splitlines():
                folder = Path(line.strip())
                if folder.is_absolute() and folder.is_dir():
                    found.append(shelf.put(f"runtime-{folder.name}", folder))
        # code/<digest>/… and models/<digest>/…: the digest names the uploaded content.
        for kind, inside in (
            ("code", code_dir),
            ("models", Path(model_dir) if model_dir else None),
        ):
            if inside is None:
                continue
            try:
                digest = inside.relative_to(home / "serving" / kind).parts[0]
                found.append(shelf.put(f"{kind}-{digest}", home / "serving" / kind / digest))
            except ValueError:  # a folder of basin's own (the MLflow scoring script)
                digest = hashlib.sha256(str(inside).encode()).hexdigest()[:16]
                found.append(shelf.put(f"{kind}-{digest}", inside))
        bundle = self.platform.ca_bundle
        if bundle is not None:
            digest = hashlib.sha256(bundle.read_bytes()).hexdigest()[:16]
            found.append(shelf.put(f"ca-{digest}", bundle))
        return found

    # ------------------------------------------------------------------ per-replica secrets
    def replica_env(self, key: str, replica_id: str) -> dict[str, str]:
        """Each replica gets its own MSI secret, standing for its endpoint's identities only."""
        deployment = deployments.get_by_id(self.platform, key)
        endpoint = deployments.endpoint_of(self.platform, deployment) if deployment else None
        if endpoint is None:
            return {}
        system, users = endpoints.identity_of(endpoint)
        if system is None and not users:
            return {}
        secret = msi.bind(
            self.platform,
            f"{key}/replicas/{replica_id}",
            system_assigned=system,
            user_assigned_ids=users,
        )
        return {"MSI_SECRET": secret}

    def replica_gone(self, key: str, replica_id: str) -> None:
        msi.unbind_under(self.platform, f"{key}/replicas/{replica_id}")


def wait_for_removal(serving: ServingController | None, resource_id: str | None) -> None:
    """``serving.wait_removed(resource_id)`` where replicas are served (the API also runs
    without a serving controller, for the control plane alone)."""
    if serving is not None and resource_id and not serving.wait_removed(resource_id):
        logger.warning("Replicas of %s still stop after %.0f s", resource_id, REMOVAL_WAIT_S)
