"""Environments: immutable versions, built in the background by content hash, never twice."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

from basin.entities import Environment, EnvironmentBuildState, Workspace
from basin.entities.environment import ANONYMOUS_NAME
from basin.envbuild import (
    BuildEvent,
    BuiltEnvironment,
    EnvironmentBuilder,
    EnvironmentSpec,
    FeedCredential,
    IndexOptions,
    content_hash,
    credential_for,
    direct_urls,
    spec_from_conda,
    spec_from_requirements,
)
from basin.errors import (
    BasinError,
    ConflictError,
    NotFoundError,
    ServiceUnavailableError,
    ValidationError,
)
from basin.ids import validate_name
from basin.services import (
    assets,
    connections,
    curated_environments,
    runtime_payload,
    wheels,
    workspaces,
)
from basin.services.builds import BuildManager
from basin.services.platform import Platform

__all__ = [
    "build_log",
    "create_or_update",
    "ensure_built",
    "get",
    "list_environments",
    "register_anonymous",
    "registry_environment",
    "registry_environments",
    "resolve",
    "resume_builds",
    "set_archived",
]

logger = logging.getLogger("basin.environments")

KIND = "environments"
WHAT = "Environment"
TYPE = Environment.resource_type
#: Opt-in (an environment property) to build on the nearest installed Python.
ALLOW_NEAREST = "allow_nearest_python"


def _builds(platform: Platform) -> BuildManager:
    if platform.builds is None:
        raise ServiceUnavailableError("This server does not build environments.")
    return platform.builds


def _allow_nearest(env: Environment) -> bool:
    return bool(env.allow_nearest_python) or env.properties.get(ALLOW_NEAREST, "").lower() == "true"


def spec_for(
    platform: Platform, workspace: Workspace, env: Environment
) -> tuple[EnvironmentSpec, list[str]]:
    """The build spec of an environment (the user's packages plus the scoring runtime)."""
    if env.build is not None:
        raise ValidationError(
            "'build' (a Docker build context) is not supported: basin builds Python environments "
            "without a container engine. Use 'image' (e.g. basin:sklearn) with a 'conda_file'."
        )
    if isinstance(env.conda_file, str):
        raise ValidationError(
            "'conda_file' reached the server as a path; send the file's content (the CLI, SDK and "
            "load_environment read the file for you)."
        )
    if env.conda_file:
        parsed = spec_from_conda(env.conda_file, image=env.image)
    elif env.image:
        parsed = spec_from_requirements("", image=env.image)
    else:
        raise ValidationError(
            "An environment needs an 'image' (e.g. basin:minimal or an Azure ML inference image) "
            "and/or a 'conda_file'."
        )
    spec = wheels.localize(platform, workspace, parsed.spec, platform.state_dir / "wheel-cache")
    spec, added = with_runtime(
        spec, platform.state_dir, _builds(platform).builder, allow_nearest=_allow_nearest(env)
    )
    notes = list(parsed.notes) + added
    if _uses_private_feeds(spec, _credentials(platform, workspace)):
        # Built with this workspace's credentials: never handed to another workspace.
        spec = replace(spec, scope=workspace.id)
    return spec, notes


def with_runtime(
    spec: EnvironmentSpec, home: Path, builder: EnvironmentBuilder, *, allow_nearest: bool
) -> tuple[EnvironmentSpec, list[str]]:
    """``spec`` plus what every environment gets to serve (the scoring runtime, uvicorn and its
    parts for the chosen Python), and the notes to show. Also used by local endpoints."""
    notes: list[str] = []
    python, note = runtime_payload.check_python(spec.python, allow_nearest=allow_nearest)
    python, chosen = builder.choose_python(python, allow_nearest=allow_nearest)
    notes += [n for n in (note, chosen) if n]
    runtime = runtime_payload.runtime_packages(home, python, air_gapped=builder.air_gapped)
    notes += runtime.notes
    pth = runtime_payload.runtime_pth(home)
    spec = replace(spec, python=python).with_platform(
        runtime.requirements, (pth,), runtime.preferred
    )
    links = IndexOptions(find_links=runtime.find_links)
    return replace(spec, index=spec.index.merged(links)), notes


def _uses_private_feeds(spec: EnvironmentSpec, credentials: list[FeedCredential]) -> bool:
    urls = [*spec.index.urls(), *direct_urls(spec.all_requirements())]
    return any(credential_for(url, credentials) is not None for url in urls)


def _credentials(platform: Platform, workspace: Workspace) -> list[FeedCredential]:
    assert workspace.id is not None
    return [
        FeedCredential(t, u, s) for t, u, s in connections.feed_credentials(platform, workspace.id)
    ]


def _start(
    platform: Platform, workspace: Workspace, env: Environment, spec: EnvironmentSpec
) -> Future[BuiltEnvironment]:
    """Build in the background (shared with any build of the same spec) and record the result."""
    builds = _builds(platform)
    credentials = _credentials(platform, workspace)
    allow = _allow_nearest(env)
    key = content_hash(spec)
    assert env.id is not None
    env_id = env.id

    def step(event: BuildEvent) -> None:
        # The build's current phase, for `show` and the CLI's progress while it runs.
        if event.kind == "step":
            _record(platform, env_id, EnvironmentBuildState.RUNNING, build_message=event.message)

    def build() -> BuiltEnvironment:
        built = builds.builder.build(
            spec, credentials=credentials, allow_nearest_python=allow, on_event=step
        )
        try:
            runtime_payload.harvest(platform.state_dir, built)
        except Exception:  # a missed wheel costs the next build an index hit, nothing more
            logger.exception("Could not keep the runtime's wheels of %s", built.key)
        return built

    future = builds.submit(key, build)
    _record(platform, env.id, EnvironmentBuildState.RUNNING)
    future.add_done_callback(lambda done: _finish(platform, env.id or "", done))
    return future


def _record(platform: Platform, env_id: str, state: EnvironmentBuildState, **fields: Any) -> None:
    with platform.store.transaction() as tx:
        row = tx.get(env_id)
        if row is None:
            return
        row.body.update({"build_state": state.value, **fields})
        tx.update(row)


def _finish(platform: Platform, env_id: str, done: Future[BuiltEnvironment]) -> None:
    try:
        built = done.result()
    except BasinError as error:
        _record(platform, env_id, EnvironmentBuildState.FAILED, build_message=error.message)
        return
    except Exception:  # the traceback goes to the log, a plain message to the user
        logger.exception("Environment build crashed: %s", env_id)
        _record(
            platform,
            env_id,
            EnvironmentBuildState.FAILED,
            build_message="The build crashed; see the server log.",
        )
        return
    _record(
        platform,
        env_id,
        EnvironmentBuildState.SUCCEEDED,
        build_message=None,
        lock=built.lock,
        python_version=built.python_version,
    )


def create_or_update(
    platform: Platform,
    group: str,
    workspace_name: str,
    env: Environment,
    *,
    curated: bool = False,
) -> Environment:
    """Register a version and start its build. Without a version, registering the same content
    as the latest version returns that version (nothing is built twice)."""
    if not env.name:
        raise ValidationError("An environment needs a 'name'.")
    validate_name("asset", env.name)
    if not curated and env.name.lower().startswith(curated_environments.RESERVED_PREFIXES):
        raise ValidationError(
            f"Environment name '{env.name}': names starting with 'AzureML' or 'Microsoft' are "
            "reserved for curated environments (as in Azure ML). Choose another name."
        )
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    spec, notes = spec_for(platform, workspace, env)
    key = content_hash(spec)
    if env.version is not None:
        same = assets.list_assets(
            platform, Environment, workspace.id, KIND, env.name, include_archived=True
        )
        for version in same:
            # The same content under the same version again (a retried PUT, azure-ai-ml's
            # inline environments): that version, as Azure ML answers; other content conflicts.
            if version.version == env.version and version.build_key == key:
                return get(platform, group, workspace_name, env.name, version.version)
    if env.version is None:
        existing = assets.latest(
            assets.list_assets(platform, Environment, workspace.id, KIND, env.name)
        )
        if existing is not None and existing.build_key == key:
            if existing.build_state == EnvironmentBuildState.FAILED:
                _start(platform, workspace, existing, spec)
            return get(platform, group, workspace_name, env.name, existing.version)

    def finish(item: Environment, version: str, rid: str) -> Environment:
        return item.model_copy(
            update={
                "version": version,
                "id": rid,
                "build_state": EnvironmentBuildState.NOT_STARTED,
                "build_key": key,
                "build_message": None,
                "notes": notes or None,
                "lock": None,
                "python_version": None,
            }
        )

    registered = assets.register(platform, workspace.id, KIND, env, finish, WHAT)
    _start(platform, workspace, registered, spec)
    return get(platform, group, workspace_name, env.name, registered.version)


def register_anonymous(
    platform: Platform, group: str, workspace_name: str, env: Environment
) -> Environment:
    """An inline environment of a deployment: named ``CliV2AnonymousEnvironment``, versioned by
    the content hash of its spec, so the same inline environment is one version."""
    workspace = workspaces.get(platform, group, workspace_name)
    spec, _ = spec_for(platform, workspace, env)
    version = content_hash(spec)
    anonymous = env.model_copy(update={"name": ANONYMOUS_NAME, "version": version})
    try:
        return get(platform, group, workspace_name, ANONYMOUS_NAME, version)
    except NotFoundError:
        pass
    try:
        return create_or_update(platform, group, workspace_name, anonymous)
    except ConflictError:
        # Registered meanwhile by another provisioning of the same deployment: the same
        # content is the same version.
        return get(platform, group, workspace_name, ANONYMOUS_NAME, version)


def _workspace_id(platform: Platform, group: str, workspace_name: str) -> str:
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    return workspace.id


def get(
    platform: Platform, group: str, workspace_name: str, name: str, version: str | None = None
) -> Environment:
    workspace_id = _workspace_id(platform, group, workspace_name)
    try:
        return assets.get_version(platform, Environment, workspace_id, KIND, name, version, WHAT)
    except NotFoundError:
        if not name.lower().startswith("azureml-"):
            raise
    # A curated environment not used in this workspace yet (as Azure ML lists them there).
    curated = curated_environments.find(name)
    return _curated_in_workspace(platform, group, workspace_name, curated)


def resolve(platform: Platform, group: str, workspace_name: str, reference: str) -> Environment:
    curated = curated_environments.parse_reference(reference)
    if curated is not None:
        found = curated_environments.find(curated.name)
        return _curated_in_workspace(platform, group, workspace_name, found)
    name, version, label = assets.parse_reference(reference, "environment")
    if version is None and label is None:
        raise ValidationError(f"Environment reference '{reference}' needs a version or @latest.")
    return get(platform, group, workspace_name, name, version)


def _curated_in_workspace(
    platform: Platform,
    group: str,
    workspace_name: str,
    curated: curated_environments.CuratedEnvironment,
) -> Environment:
    """A curated environment as a version in the workspace (registered, and built, once)."""
    name = curated_environments.workspace_name(curated)
    workspace_id = _workspace_id(platform, group, workspace_name)
    for _attempt in range(2):
        try:
            return assets.get_version(
                platform, Environment, workspace_id, KIND, name, curated.version, WHAT
            )
        except NotFoundError:
            pass
        shown = curated.environment()
        env = shown.model_copy(update={"name": name, "id": None})
        try:
            return create_or_update(platform, group, workspace_name, env, curated=True)
        except ConflictError:
            continue  # registered at the same time by another caller: read theirs
    return assets.get_version(
        platform, Environment, workspace_id, KIND, name, curated.version, WHAT
    )


def registry_environments(registry: str) -> list[Environment]:
    """The environments of a registry (basin has one: ``azureml``, its curated definitions)."""
    _check_registry(registry)
    return [curated.environment() for curated in curated_environments.CURATED]


def registry_environment(registry: str, name: str, version: str | None = None) -> Environment:
    _check_registry(registry)
    found = curated_environments.find(name)
    if version not in (None, "latest") and not (version or "").isdigit():
        raise ValidationError(f"Version '{version}' of '{name}': give a number or 'latest'.")
    return found.environment()


def _check_registry(registry: str) -> None:
    if registry.lower() != curated_environments.REGISTRY:
        raise NotFoundError(
            f"Registry '{registry}' was not found: basin has one registry, "
            f"'{curated_environments.REGISTRY}' (its curated environments)."
        )


def list_environments(
    platform: Platform,
    group: str,
    workspace_name: str,
    name: str | None = None,
    *,
    archived_only: bool = False,
    include_archived: bool = False,
) -> list[Environment]:
    workspace_id = _workspace_id(platform, group, workspace_name)
    return assets.list_assets(
        platform,
        Environment,
        workspace_id,
        KIND,
        name,
        archived_only=archived_only,
        include_archived=include_archived,
    )


def set_archived(
    platform: Platform,
    group: str,
    workspace_name: str,
    name: str,
    version: str | None,
    archived: bool,
) -> None:
    workspace_id = _workspace_id(platform, group, workspace_name)
    assets.set_archived(platform, TYPE, workspace_id, KIND, name, version, archived, WHAT)


def build_log(
    platform: Platform, group: str, workspace_name: str, name: str, version: str | None
) -> str:
    env = get(platform, group, workspace_name, name, version)
    if env.build_key is None:
        return ""
    path = _builds(platform).builder.log_path(env.build_key)
    return path.read_text(errors="replace") if path.exists() else ""


def ensure_built(
    platform: Platform, group: str, workspace_name: str, env: Environment
) -> BuiltEnvironment:
    """The built environment, building (or joining a running build) and waiting if needed."""
    workspace = workspaces.get(platform, group, workspace_name)
    spec, _ = spec_for(platform, workspace, env)
    built = _builds(platform).builder.get(content_hash(spec))
    if built is not None:
        return built
    return _start(platform, workspace, env, spec).result()


def resume_builds(platform: Platform) -> int:
    """At start: restart the builds a stopped server left unfinished."""
    count = 0
    for row in platform.store.list(type=TYPE):
        if row.body.get("build_state") not in (
            EnvironmentBuildState.NOT_STARTED,
            EnvironmentBuildState.RUNNING,
        ):
            continue
        workspace_id = row.id.split("/environments/")[0]
        stored = platform.store.get(workspace_id)
        if stored is None:
            continue
        workspace = Workspace.model_validate(stored.body)
        env = Environment.model_validate(row.body)
        try:
            spec, _ = spec_for(platform, workspace, env)
        except BasinError as error:
            _record(platform, row.id, EnvironmentBuildState.FAILED, build_message=error.message)
            continue
        _start(platform, workspace, env, spec)
        count += 1
    return count
