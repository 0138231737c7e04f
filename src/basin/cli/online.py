"""``basin online-endpoint …`` and ``basin online-deployment …`` (as ``az ml``).

Updates follow az's generic update: the resource is read, ``-f`` and the flags are applied,
then ``--set``/``--add``/``--remove`` in the order given, and the result is written back.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from basin.cli import _context, _ids, _progress, online_metrics
from basin.cli._options import (
    Add,
    ForceString,
    Group,
    Ids,
    Local,
    NoWait,
    OptName,
    Output,
    Query,
    Remove,
    Set,
    Workspace,
    Yes,
    flag_params,
)
from basin.cli._output import OutputFormat, emit
from basin.errors import ValidationError

if TYPE_CHECKING:
    from basin.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint
    from basin.sdk import MLClient

endpoint_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
deployment_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)

endpoint_app.command("metrics")(online_metrics.metrics)

OptFile = Annotated[Path | None, typer.Option("--file", "-f", help="YAML file.")]
OptEndpointName = Annotated[
    str | None,
    typer.Option("--endpoint-name", "--endpoint", "-e", help="Endpoint name."),
]
Lines = Annotated[int, typer.Option("--lines", "-l", help="How many lines (default 5000).")]
Container = Annotated[
    str | None,
    typer.Option("--container", "-c", help="inference-server (default) or storage-initializer."),
]


def _pairs(value: str | None, flag: str) -> dict[str, int] | None:
    """``"blue=90 green=10"`` -> ``{"blue": 90, "green": 10}`` (zeros kept, as az keeps them)."""
    if value is None:
        return None
    result = {}
    for pair in value.replace(",", " ").split():
        name, sep, percent = pair.partition("=")
        if not sep or not percent.isdigit():
            raise ValidationError(
                f"{flag} takes name=percent pairs, e.g. \"blue=90 green=10\"; got '{pair}'."
            )
        result[name] = int(percent)
    return result


def _no_wait_and_local(no_wait: bool, local: bool) -> None:
    if no_wait and local:
        raise ValidationError("--no-wait and --local cannot be used together (as in az).")


def _client(group: str | None, workspace: str | None, local: bool = False) -> MLClient:
    return _context.client(group, workspace)


def _endpoint_targets(
    ids: list[str] | None, group: str | None, workspace: str | None, name: str | None
) -> list[_ids.Target]:
    return _ids.targets(ids, "endpoint", group=group, workspace=workspace, name=name)


def _deployment_targets(
    ids: list[str] | None,
    group: str | None,
    workspace: str | None,
    endpoint: str | None,
    name: str | None,
) -> list[_ids.Target]:
    return _ids.targets(
        ids,
        "deployment",
        required=("name", "endpoint"),
        group=group,
        workspace=workspace,
        endpoint=endpoint,
        name=name,
    )


# ------------------------------------------------------------------------------ endpoints
@endpoint_app.command("create")
def endpoint_create(
    name: OptName = None,
    file: OptFile = None,
    set_: Set = None,
    auth_mode: Annotated[str | None, typer.Option("--auth-mode", help="key or aml_token.")] = None,
    local: Local = False,
    no_wait: NoWait = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create an endpoint (identity system-assigned unless the file says otherwise)."""
    from basin.entities import ManagedOnlineEndpoint, apply_params, parse_entity
    from basin.loaders import load_online_endpoint

    _no_wait_and_local(no_wait, local)
    params = flag_params(name, set_, auth_mode=auth_mode.lower() if auth_mode else None)
    if file is None:
        endpoint = parse_entity(ManagedOnlineEndpoint, apply_params({}, params), source="endpoint")
    else:
        endpoint = load_online_endpoint(file, params_override=params)
    ops = _client(resource_group, workspace_name, local).online_endpoints
    poller = ops.begin_create_or_update(endpoint, local=local)
    if no_wait:
        return
    emit(poller.result().to_dict(), output, query)


def _endpoint_update(
    client: MLClient,
    name: str | None,
    file: Path | None,
    traffic: dict[str, int] | None,
    mirror_traffic: dict[str, int] | None,
    force_string: bool,
    local: bool,
) -> ManagedOnlineEndpoint:
    from basin.entities import ManagedOnlineEndpoint, parse_entity
    from basin.loaders import load_online_endpoint

    ops = client.online_endpoints
    if file is not None:
        loaded = load_online_endpoint(file, params_override=[{"name": name}] if name else [])
        name = loaded.name
    if not name:
        raise ValidationError("(--name | --ids) are required (or a file with the endpoint's name).")
    current = ops.get(name, local=local).to_dict()
    if file is not None:
        current.update(loaded.model_dump(mode="json", exclude_none=True, exclude_unset=True))
    if traffic is not None:
        current["traffic"] = traffic
    if mirror_traffic is not None:
        current["mirror_traffic"] = mirror_traffic
    current = _context.generic_update(current, force_string=force_string)
    endpoint = parse_entity(ManagedOnlineEndpoint, current, source="endpoint update")
    return ops.begin_create_or_update(endpoint, local=local).result()


@endpoint_app.command("update")
def endpoint_update(
    name: OptName = None,
    file: OptFile = None,
    ids: Ids = None,
    traffic: Annotated[
        str | None, typer.Option("--traffic", "-r", help='"blue=90 green=10"')
    ] = None,
    mirror_traffic: Annotated[
        str | None, typer.Option("--mirror-traffic", help='"green=10" ("green=0" ends it)')
    ] = None,
    set_: Set = None,
    add: Add = None,
    remove: Remove = None,
    force_string: ForceString = False,
    local: Local = False,
    no_wait: NoWait = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Update traffic, mirror traffic, description or tags (the identity cannot change)."""
    _no_wait_and_local(no_wait, local)
    shares = _pairs(traffic, "--traffic"), _pairs(mirror_traffic, "--mirror-traffic")
    found = (
        _ids.targets(ids, "endpoint")
        if ids
        else [{"group": resource_group, "workspace": workspace_name, "name": name}]
    )

    def one(target: _ids.Target) -> Any:
        client = _client(target["group"], target["workspace"], local)
        updated = _endpoint_update(
            client, target["name"], file, *shares, force_string=force_string, local=local
        )
        return updated.to_dict()

    result = _ids.each(found, one)
    if not no_wait:
        emit(result, output, query)


@endpoint_app.command("show")
def endpoint_show(
    name: OptName = None,
    ids: Ids = None,
    local: Local = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show an endpoint (scoring_uri, traffic, identity, provisioning_state)."""
    found = _endpoint_targets(ids, resource_group, workspace_name, name)

    def one(target: _ids.Target) -> Any:
        ops = _client(target["group"], target["workspace"], local).online_endpoints
        return ops.get_data(target["name"], local=local)

    emit(_ids.each(found, one), output, query)


@endpoint_app.command("list")
def endpoint_list(
    local: Local = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List endpoints."""
    ops = _client(resource_group, workspace_name, local).online_endpoints
    emit(ops.list_data(local=local), output, query)


@endpoint_app.command("delete")
def endpoint_delete(
    name: OptName = None,
    ids: Ids = None,
    yes: Yes = False,
    no_wait: NoWait = False,
    local: Local = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Delete an endpoint with its deployments (and its system-assigned identity)."""
    _no_wait_and_local(no_wait, local)
    found = _endpoint_targets(ids, resource_group, workspace_name, name)
    for target in found:
        ops = _client(target["group"], target["workspace"], local).online_endpoints
        poller = ops.begin_delete(target["name"], local=local)
        if not no_wait:
            poller.result()


@endpoint_app.command("get-credentials")
def endpoint_credentials(
    name: OptName = None,
    ids: Ids = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """The endpoint's keys (key auth) or a short-lived token (aml_token auth)."""
    found = _endpoint_targets(ids, resource_group, workspace_name, name)

    def one(target: _ids.Target) -> Any:
        ops = _client(target["group"], target["workspace"]).online_endpoints
        data = ops.get_keys_data(target["name"])
        # az prints the REST shape: primaryKey/secondaryKey or accessToken/expiryTimeUtc/...
        camel = {
            "primary_key": "primaryKey",
            "secondary_key": "secondaryKey",
            "access_token": "accessToken",
            "expiry_time_utc": "expiryTimeUtc",
            "refresh_after_time_utc": "refreshAfterTimeUtc",
            "token_type": "tokenType",
        }
        return {camel.get(k, k): v for k, v in data.items()}

    emit(_ids.each(found, one), output, query)


@endpoint_app.command("regenerate-keys")
def endpoint_regenerate(
    name: OptName = None,
    ids: Ids = None,
    key_type: Annotated[str, typer.Option("--key-type", help="primary or secondary.")] = "primary",
    no_wait: NoWait = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Replace a key; the old one stops working at once."""
    found = _endpoint_targets(ids, resource_group, workspace_name, name)
    for target in found:
        ops = _client(target["group"], target["workspace"]).online_endpoints
        ops.begin_regenerate_keys(target["name"], key_type=key_type).result()


@endpoint_app.command("invoke")
def endpoint_invoke(
    name: OptName = None,
    request_file: Annotated[
        Path | None, typer.Option("--request-file", "-r", help="JSON body.")
    ] = None,
    deployment_name: Annotated[
        str | None, typer.Option("--deployment-name", "-d", help="One deployment.")
    ] = None,
    local: Local = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Send a request to the endpoint (or one deployment) and print the answer.

    As az does, the answer is printed as a JSON string (``-o tsv`` prints it as is)."""
    if not name:
        raise ValidationError("(--name) is required.")
    if request_file is None:
        raise ValidationError("--request-file/-r is required: the JSON body to send.")
    ops = _client(resource_group, workspace_name, local).online_endpoints
    answer = ops.invoke(
        name, request_file=request_file, deployment_name=deployment_name, local=local
    )
    if query is None and output in (OutputFormat.json, OutputFormat.jsonc):
        print(json.dumps(answer))
    else:
        emit(answer, output, query)


# ---------------------------------------------------------------------------- deployments
def _wait(poller: Any, what: str) -> ManagedOnlineDeployment:
    """Wait for the rollout, its state on stderr while it runs (on a terminal only)."""
    started = time.monotonic()
    with _progress.status(f"Provisioning {what}") as status:
        while not poller.done():
            poller.wait(0.25)
            step = getattr(poller.latest(), "provisioning_message", None)
            status.update(
                f"Provisioning {what}: {poller.status()}{f', {step}' if step else ''} "
                f"({time.monotonic() - started:.0f} s)"
            )
    result: ManagedOnlineDeployment = poller.result()
    return result


def _all_traffic(client: MLClient, deployment: ManagedOnlineDeployment, local: bool) -> None:
    assert deployment.endpoint_name
    ops = client.online_endpoints
    endpoint = ops.get(deployment.endpoint_name, local=local)
    endpoint.traffic = {deployment.name: 100}
    ops.begin_create_or_update(endpoint, local=local).result()


@deployment_app.command("create")
def deployment_create(
    file: Annotated[Path, typer.Option("--file", "-f", help="Deployment YAML.")],
    name: OptName = None,
    endpoint_name: OptEndpointName = None,
    set_: Set = None,
    all_traffic: Annotated[
        bool, typer.Option("--all-traffic", help="Send 100% of traffic to it once it is up.")
    ] = False,
    no_wait: NoWait = False,
    local: Local = False,
    skip_script_validation: Annotated[
        bool, typer.Option("--skip-script-validation", help="Accepted, as az (no effect).")
    ] = False,
    local_enable_gpu: Annotated[
        bool, typer.Option("--local-enable-gpu", help="Accepted, as az (no GPU here).")
    ] = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create (or replace) a deployment: build or reuse its environment, start its replicas."""
    from basin.loaders import load_online_deployment

    _no_wait_and_local(no_wait, local)
    if all_traffic and no_wait:
        raise ValidationError("--all-traffic cannot be used with --no-wait.")
    params = flag_params(name, set_, endpoint_name=endpoint_name)
    deployment = load_online_deployment(file, params_override=params)
    if not deployment.endpoint_name:
        raise ValidationError(
            "Give the endpoint with -e/--endpoint-name (or endpoint_name in the file)."
        )
    client = _client(resource_group, workspace_name, local)
    doing = "Building its environment and starting it here" if local else "Uploading code and model"
    with _progress.status(f"{doing} (deployment {deployment.name})"):
        poller = client.online_deployments.begin_create_or_update(deployment, local=local)
    if no_wait:
        return
    result = _wait(poller, f"deployment {deployment.name}")
    if all_traffic:
        _all_traffic(client, result, local)
    emit(result.to_dict(), output, query)


@deployment_app.command("update")
def deployment_update(
    file: OptFile = None,
    name: OptName = None,
    endpoint_name: OptEndpointName = None,
    ids: Ids = None,
    set_: Set = None,
    add: Add = None,
    remove: Remove = None,
    force_string: ForceString = False,
    no_wait: NoWait = False,
    local: Local = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Update a deployment (new replicas are ready before old ones stop): -f, --set, --add,
    --remove (e.g. --set instance_count=2) on what it is now."""
    from basin.entities import ManagedOnlineDeployment, parse_entity
    from basin.loaders import load_online_deployment

    _no_wait_and_local(no_wait, local)
    loaded = None
    if file is not None:
        params = flag_params(name, None, endpoint_name=endpoint_name)
        loaded = load_online_deployment(file, params_override=params)
        name, endpoint_name = loaded.name, loaded.endpoint_name or endpoint_name
    found = _deployment_targets(ids, resource_group, workspace_name, endpoint_name, name)

    def one(target: _ids.Target) -> Any:
        client = _client(target["group"], target["workspace"], local)
        ops = client.online_deployments
        current = ops.get(target["name"], target["endpoint"], local=local).to_dict()
        for key in ("provisioning_state", "provisioning_message", "id", "created_at"):
            current.pop(key, None)
        if loaded is not None:
            current.update(loaded.model_dump(mode="json", exclude_none=True, exclude_unset=True))
        current = _context.generic_update(current, force_string=force_string)
        deployment = parse_entity(ManagedOnlineDeployment, current, source="deployment update")
        poller = ops.begin_create_or_update(deployment, local=local)
        if no_wait:
            return None
        return _wait(poller, f"deployment {deployment.name}").to_dict()

    result = _ids.each(found, one)
    if not no_wait:
        emit(result, output, query)


@deployment_app.command("show")
def deployment_show(
    name: OptName = None,
    endpoint_name: OptEndpointName = None,
    ids: Ids = None,
    local: Local = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a deployment."""
    found = _deployment_targets(ids, resource_group, workspace_name, endpoint_name, name)

    def one(target: _ids.Target) -> Any:
        ops = _client(target["group"], target["workspace"], local).online_deployments
        return ops.get_data(target["name"], target["endpoint"], local=local)

    emit(_ids.each(found, one), output, query)


@deployment_app.command("list")
def deployment_list(
    endpoint_name: OptEndpointName = None,
    local: Local = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List an endpoint's deployments."""
    if not endpoint_name:
        raise ValidationError("(--endpoint-name) is required.")
    ops = _client(resource_group, workspace_name, local).online_deployments
    emit(ops.list_data(endpoint_name, local=local), output, query)


@deployment_app.command("delete")
def deployment_delete(
    name: OptName = None,
    endpoint_name: OptEndpointName = None,
    ids: Ids = None,
    yes: Yes = False,
    no_wait: NoWait = False,
    local: Local = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Delete a deployment (it must take no traffic) and stop its replicas."""
    _no_wait_and_local(no_wait, local)
    found = _deployment_targets(ids, resource_group, workspace_name, endpoint_name, name)
    for target in found:
        ops = _client(target["group"], target["workspace"], local).online_deployments
        poller = ops.begin_delete(target["name"], target["endpoint"], local=local)
        if not no_wait:
            poller.result()


@deployment_app.command("export")
def deployment_export(
    name: Name,
    endpoint_name: EndpointName,
    format: Annotated[
        str, typer.Option("--format", help="What to export to: kubernetes.")
    ] = "kubernetes",
    image: Annotated[
        str | None,
        typer.Option(help="Container image with the environment, code and model (see docs)."),
    ] = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Print the deployment as Kubernetes manifests (Deployment, Service, HPA) for kubectl.

    Checked against the official client's models; not run against a live cluster by basin."""
    import yaml  # only this command prints YAML of its own

    manifests = _context.client(resource_group, workspace_name).online_deployments.export(
        name, endpoint_name, format=format, image=image
    )
    print(yaml.safe_dump_all(manifests, sort_keys=False), end="")


@deployment_app.command("get-logs")
def deployment_logs(
    name: OptName = None,
    endpoint_name: OptEndpointName = None,
    ids: Ids = None,
    lines: Lines = 5000,
    container: Container = None,
    follow: Annotated[bool, typer.Option("--follow", help="Keep printing new lines.")] = False,
    local: Local = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Print the replicas' output (what init() and run() logged included), or with
    --container storage-initializer what was laid out for them (model, code)."""
    found = _deployment_targets(ids, resource_group, workspace_name, endpoint_name, name)
    target = found[0]
    ops = _client(target["group"], target["workspace"], local).online_deployments

    def read() -> str:
        return ops.get_logs(
            target["name"], target["endpoint"], lines, container_type=container, local=local
        )

    shown = read()
    print(shown, end="" if shown.endswith("\n") else "\n")
    while follow:
        time.sleep(1)
        latest = read()
        if latest != shown:
            new = latest[len(shown) :] if latest.startswith(shown) else latest
            print(new, end="", flush=True)
            shown = latest
