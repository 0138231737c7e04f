"""``basin online-endpoint …`` and ``basin online-deployment …`` (as ``az ml``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from basin.cli import _context, online_metrics
from basin.cli._options import Group, Output, Query, Set, Workspace, Yes, flag_params
from basin.cli._output import OutputFormat, emit
from basin.entities import (
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    apply_params,
    parse_entity,
)
from basin.errors import ValidationError
from basin.loaders import load_online_deployment, load_online_endpoint

endpoint_app = typer.Typer(help="Managed online endpoints.", no_args_is_help=True)
deployment_app = typer.Typer(help="Online deployments.", no_args_is_help=True)

endpoint_app.command("metrics")(online_metrics.metrics)

OptName = Annotated[str | None, typer.Option("--name", "-n", help="Name.")]
Name = Annotated[str, typer.Option("--name", "-n", help="Name.")]
OptFile = Annotated[Path | None, typer.Option("--file", "-f", help="YAML file.")]
EndpointName = Annotated[str, typer.Option("--endpoint-name", "-e", help="Endpoint name.")]
OptEndpointName = Annotated[
    str | None, typer.Option("--endpoint-name", "-e", help="Endpoint name.")
]


def _pairs(value: str | None, flag: str) -> dict[str, int] | None:
    """``"blue=90 green=10"`` -> ``{"blue": 90, "green": 10}``."""
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


def _endpoint_data(
    file: Path | None, name: str | None, set_: list[str] | None, **fields: Any
) -> dict[str, Any]:
    params = flag_params(name, set_, **fields)
    if file is None:
        return apply_params({}, params)
    endpoint = load_online_endpoint(file, params_override=params)
    return endpoint.model_dump(mode="json", exclude_none=True)


@endpoint_app.command("create")
def endpoint_create(
    name: OptName = None,
    file: OptFile = None,
    set_: Set = None,
    auth_mode: Annotated[str | None, typer.Option("--auth-mode", help="key or aml_token.")] = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create an endpoint (identity system-assigned unless the file says otherwise)."""
    data = _endpoint_data(file, name, set_, auth_mode=auth_mode)
    endpoint = parse_entity(
        ManagedOnlineEndpoint, data, source=f"endpoint file '{file}'" if file else "endpoint"
    )
    client = _context.client(resource_group, workspace_name)
    emit(client.online_endpoints.begin_create_or_update(endpoint).result().to_dict(), output, query)


@endpoint_app.command("update")
def endpoint_update(
    name: OptName = None,
    file: OptFile = None,
    set_: Set = None,
    traffic: Annotated[str | None, typer.Option("--traffic", help='"blue=90 green=10"')] = None,
    mirror_traffic: Annotated[
        str | None, typer.Option("--mirror-traffic", help='"green=10"')
    ] = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Update traffic, mirror traffic, description or tags (the identity cannot change)."""
    patch = _endpoint_data(
        file,
        None,
        set_,
        traffic=_pairs(traffic, "--traffic"),
        mirror_traffic=_pairs(mirror_traffic, "--mirror-traffic"),
    )
    target = name or patch.get("name")
    if not target:
        raise ValidationError("Give the endpoint's name with -n (or a file that has one).")
    patch.pop("name", None)
    client = _context.client(resource_group, workspace_name)
    emit(client.online_endpoints.begin_update(target, patch).result().to_dict(), output, query)


@endpoint_app.command("show")
def endpoint_show(
    name: Name,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show an endpoint (scoring_uri, traffic, identity, provisioning_state)."""
    emit(
        _context.client(resource_group, workspace_name).online_endpoints.get(name).to_dict(),
        output,
        query,
    )


@endpoint_app.command("list")
def endpoint_list(
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List endpoints."""
    emit(
        [
            e.to_dict()
            for e in _context.client(resource_group, workspace_name).online_endpoints.list()
        ],
        output,
        query,
    )


@endpoint_app.command("delete")
def endpoint_delete(
    name: Name, yes: Yes = False, resource_group: Group = None, workspace_name: Workspace = None
) -> None:
    """Delete an endpoint with its deployments (and its system-assigned identity)."""
    _context.client(resource_group, workspace_name).online_endpoints.begin_delete(name).result()


@endpoint_app.command("get-credentials")
def endpoint_credentials(
    name: Name,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """The endpoint's keys (key auth) or a short-lived token (aml_token auth)."""
    credentials = _context.client(resource_group, workspace_name).online_endpoints.get_keys(name)
    data = credentials.to_dict()
    # az prints the REST shape: primaryKey/secondaryKey or accessToken/expiryTimeUtc/...
    camel = {
        "primary_key": "primaryKey",
        "secondary_key": "secondaryKey",
        "access_token": "accessToken",
        "expiry_time_utc": "expiryTimeUtc",
        "refresh_after_time_utc": "refreshAfterTimeUtc",
        "token_type": "tokenType",
    }
    emit({camel.get(k, k): v for k, v in data.items()}, output, query)


@endpoint_app.command("regenerate-keys")
def endpoint_regenerate(
    name: Name,
    key_type: Annotated[str, typer.Option("--key-type", help="primary or secondary.")] = "primary",
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Replace a key; the old one stops working at once."""
    _context.client(resource_group, workspace_name).online_endpoints.begin_regenerate_keys(
        name, key_type=key_type
    ).result()


@endpoint_app.command("invoke")
def endpoint_invoke(
    name: Name,
    request_file: Annotated[Path, typer.Option("--request-file", "-r", help="JSON body.")],
    deployment_name: Annotated[str | None, typer.Option("--deployment-name", "-d")] = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Send a request to the endpoint (or one deployment) and print the answer."""
    client = _context.client(resource_group, workspace_name)
    print(
        client.online_endpoints.invoke(
            name, request_file=request_file, deployment_name=deployment_name
        )
    )


def _deployment_from(
    file: Path, name: str | None, endpoint: str | None, set_: list[str] | None
) -> ManagedOnlineDeployment:
    params = flag_params(name, set_, endpoint_name=endpoint)
    deployment = load_online_deployment(file, params_override=params)
    if not deployment.endpoint_name:
        raise ValidationError(
            "Give the endpoint with -e/--endpoint-name (or endpoint_name in the file)."
        )
    return deployment


def _wait(client: Any, deployment: ManagedOnlineDeployment, poller: Any) -> ManagedOnlineDeployment:
    console = Console(stderr=True)
    started = time.monotonic()
    with console.status(f"Provisioning deployment {deployment.name} ...") as status:
        while not poller.done():
            poller.wait(0.25)
            status.update(
                f"Provisioning deployment {deployment.name} ... {poller.status()} ({time.monotonic() - started:.0f} s)"
            )
    result: ManagedOnlineDeployment = poller.result()
    return result


@deployment_app.command("create")
def deployment_create(
    file: Annotated[Path, typer.Option("--file", "-f", help="Deployment YAML.")],
    name: OptName = None,
    endpoint_name: OptEndpointName = None,
    set_: Set = None,
    all_traffic: Annotated[
        bool, typer.Option("--all-traffic", help="Send 100% of traffic to it once it is up.")
    ] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Return before provisioning ends.")
    ] = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create (or replace) a deployment: build or reuse its environment, start its replicas."""
    if all_traffic and no_wait:
        raise ValidationError("--all-traffic cannot be used with --no-wait.")
    deployment = _deployment_from(file, name, endpoint_name, set_)
    client = _context.client(resource_group, workspace_name)
    poller = client.online_deployments.begin_create_or_update(deployment)
    result = poller._value if no_wait else _wait(client, deployment, poller)
    if all_traffic:
        assert deployment.endpoint_name
        client.online_endpoints.begin_update(
            deployment.endpoint_name, {"traffic": {deployment.name: 100}}
        ).result()
    emit(result.to_dict(), output, query)


@deployment_app.command("update")
def deployment_update(
    file: Annotated[Path, typer.Option("--file", "-f", help="Deployment YAML.")],
    name: OptName = None,
    endpoint_name: OptEndpointName = None,
    set_: Set = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Update a deployment (new replicas are ready before old ones stop)."""
    deployment = _deployment_from(file, name, endpoint_name, set_)
    client = _context.client(resource_group, workspace_name)
    client.online_deployments.get(deployment.name, deployment.endpoint_name or "")  # must exist
    emit(
        _wait(
            client, deployment, client.online_deployments.begin_create_or_update(deployment)
        ).to_dict(),
        output,
        query,
    )


@deployment_app.command("show")
def deployment_show(
    name: Name,
    endpoint_name: EndpointName,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a deployment."""
    emit(
        _context.client(resource_group, workspace_name)
        .online_deployments.get(name, endpoint_name)
        .to_dict(),
        output,
        query,
    )


@deployment_app.command("list")
def deployment_list(
    endpoint_name: EndpointName,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List an endpoint's deployments."""
    found = _context.client(resource_group, workspace_name).online_deployments.list(endpoint_name)
    emit([d.to_dict() for d in found], output, query)


@deployment_app.command("delete")
def deployment_delete(
    name: Name,
    endpoint_name: EndpointName,
    yes: Yes = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Delete a deployment (it must take no traffic) and stop its replicas."""
    _context.client(resource_group, workspace_name).online_deployments.begin_delete(
        name, endpoint_name
    ).result()


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
    manifests = _context.client(resource_group, workspace_name).online_deployments.export(
        name, endpoint_name, format=format, image=image
    )
    print(yaml.safe_dump_all(manifests, sort_keys=False), end="")


@deployment_app.command("get-logs")
def deployment_logs(
    name: Name,
    endpoint_name: EndpointName,
    lines: Annotated[int, typer.Option("--lines", "-l", help="How many lines.")] = 5000,
    follow: Annotated[bool, typer.Option("--follow", help="Keep printing new lines.")] = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Print the replicas' output (what init() and run() logged included)."""
    ops = _context.client(resource_group, workspace_name).online_deployments
    shown = ops.get_logs(name, endpoint_name, lines)
    print(shown, end="" if shown.endswith("\n") else "\n")
    while follow:
        time.sleep(1)
        latest = ops.get_logs(name, endpoint_name, lines)
        if latest != shown:
            new = latest[len(shown) :] if latest.startswith(shown) else latest
            print(new, end="", flush=True)
            shown = latest
