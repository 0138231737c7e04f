"""Template deployments (``Microsoft.Resources/deployments``): Azure ML's workspace template only.

basin has no template engine. azure-ai-ml creates a workspace by deploying Azure ML's own ARM
template; the ARM adapter recognises that template by its parameters and hands this service the
workspace it describes. The deployment is recorded under its resource group (so it goes with the
group) with the resources it stands for, which its GET and operations list show.
"""

from __future__ import annotations

import time

from basin.entities import TemplateDeployment, Workspace
from basin.errors import NotFoundError, ValidationError
from basin.ids import resource_group_id, validate_name
from basin.services import groups, workspaces
from basin.services._resources import from_stored, to_stored
from basin.services.platform import Platform

__all__ = ["deploy_workspace", "get"]

TYPE = TemplateDeployment.resource_type


def deployment_id(platform: Platform, group: str, name: str) -> str:
    return f"{resource_group_id(platform.subscription_id, group)}/providers/{TYPE}/{name}"


def deploy_workspace(
    platform: Platform,
    group: str,
    name: str,
    workspace: Workspace,
    parameters: dict[str, object],
) -> TemplateDeployment:
    """Create ``workspace`` (with the dependent resources it was not given) and record the
    deployment that asked for it."""
    validate_name("resource group", group)
    if not 1 <= len(name) <= 64:
        raise ValidationError(f"'{name[:80]}' is not a valid deployment name: 1 to 64 characters.")
    groups.require_group(platform, group)
    started = time.monotonic()
    created = workspaces.create(platform, group, workspace)
    assert created.id is not None
    dependents = {
        "storage_account": created.storage_account,
        "key_vault": created.key_vault,
        "application_insights": created.application_insights,
        "container_registry": created.container_registry,
    }
    made = [rid for field, rid in dependents.items() if rid and not getattr(workspace, field)]
    rid = deployment_id(platform, group, name)
    record = TemplateDeployment(
        id=rid,
        name=name,
        type=TYPE,
        resource_group=group,
        provisioning_state="Succeeded",
        parameters=parameters,
        output_resources=[created.id, *(r for r in dependents.values() if r)],
        created_resources=[created.id, *made],
        duration_s=time.monotonic() - started,
    )
    with platform.store.transaction() as tx:
        existing = tx.get(rid)
        stored = to_stored(record, rid, TYPE)
        if existing is None:
            row = tx.insert(stored)
        else:
            existing.body = stored.body
            row = tx.update(existing)
    return from_stored(TemplateDeployment, row)


def get(platform: Platform, group: str, name: str) -> TemplateDeployment:
    stored = platform.store.get(deployment_id(platform, group, name))
    if stored is None or stored.type != TYPE:
        raise NotFoundError(f"Deployment '{name}' could not be found in resource group '{group}'.")
    return from_stored(TemplateDeployment, stored)
