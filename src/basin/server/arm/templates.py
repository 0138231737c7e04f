"""Azure ML's workspace ARM template, recognised by its parameters and read as a ``Workspace``.

azure-ai-ml's ``workspaces.begin_create`` deploys ``workspace_base.json`` (shipped in the SDK):
parameters such as ``workspaceName``, ``storageAccountOption`` / ``storageAccountName``,
``keyVaultOption``, ``applicationInsightsOption``, ``containerRegistryOption``, ``tagValues``,
``confidential_data``, ``publicNetworkAccess`` and ``encryption_status``, and a
``Microsoft.MachineLearningServices/workspaces`` resource among its resources. basin runs no
template engine: a template that is not this one is refused with a message saying what to do.
"""

from __future__ import annotations

from typing import Any

from basin.entities import CustomerManagedKey, Workspace, parse_entity
from basin.errors import ValidationError
from basin.ids import resource_id

__all__ = ["is_workspace_template", "workspace_from_template"]

_WORKSPACE_TYPE = "microsoft.machinelearningservices/workspaces"
_MARKERS = ("workspaceName", "storageAccountOption", "keyVaultOption", "applicationInsightsOption")
_EXISTING = {
    # option parameter -> (name parameter, group parameter, subscription parameter, type)
    "storage_account": (
        "storageAccountOption", "storageAccountName", "storageAccountResourceGroupName",
        "storageAccountSubscriptionId", "Microsoft.Storage/storageAccounts",
    ),
    "key_vault": (
        "keyVaultOption", "keyVaultName", "keyVaultResourceGroupName", None,
        "Microsoft.KeyVault/vaults",
    ),
    "application_insights": (
        "applicationInsightsOption", "applicationInsightsName",
        "applicationInsightsResourceGroupName", None, "Microsoft.Insights/components",
    ),
    "container_registry": (
        "containerRegistryOption", "containerRegistryName",
        "containerRegistryResourceGroupName", None, "Microsoft.ContainerRegistry/registries",
    ),
}  # fmt: skip


def is_workspace_template(template: Any) -> bool:
    """Azure ML's workspace template: its marker parameters and a workspace among its resources."""
    if not isinstance(template, dict):
        return False
    declared = template.get("parameters")
    resources = template.get("resources")
    if not isinstance(declared, dict) or not isinstance(resources, list):
        return False
    if not all(name in declared for name in _MARKERS):
        return False
    return any(
        isinstance(r, dict) and str(r.get("type", "")).lower() == _WORKSPACE_TYPE for r in resources
    )


def _values(template: dict[str, Any], parameters: Any) -> dict[str, Any]:
    """The parameters' values: the template's defaults, then ``{"name": {"value": v}}``."""
    values: dict[str, Any] = {}
    for name, declared in template.get("parameters", {}).items():
        if isinstance(declared, dict) and "defaultValue" in declared:
            default = declared["defaultValue"]
            # Defaults may be template expressions ("[resourceGroup().location]"): not values.
            if not (isinstance(default, str) and default.startswith("[")):
                values[name] = default
    if parameters is None:
        return values
    if not isinstance(parameters, dict):
        raise ValidationError("'properties.parameters' must be an object of {name: {value}}.")
    for name, given in parameters.items():
        if isinstance(given, dict) and "value" in given:
            values[name] = given["value"]
        elif isinstance(given, dict) and "reference" in given:
            raise ValidationError(
                f"Parameter '{name}' is a Key Vault reference; basin's template deployments take "
                "plain values."
            )
    return values


def workspace_from_template(
    subscription_id: str, group: str, template: dict[str, Any], parameters: Any
) -> tuple[Workspace, dict[str, Any]]:
    """The workspace the template asks for, and the parameter values it was given."""
    values = _values(template, parameters)
    kind = str(values.get("kind") or "default").lower()
    if kind not in ("default", ""):
        raise ValidationError(
            f"Workspace kind '{kind}' (hubs and projects) is not supported by basin; create a "
            "default workspace."
        )
    name = values.get("workspaceName")
    if not isinstance(name, str) or not name:
        raise ValidationError("The workspace template's 'workspaceName' parameter is required.")
    fields: dict[str, Any] = {
        "name": name,
        "description": values.get("description") or None,
        "display_name": values.get("friendlyName") or None,
        "location": values.get("location") or None,
        "tags": {str(k): str(v) for k, v in (values.get("tagValues") or {}).items()},
        "hbi_workspace": str(values.get("confidential_data", "false")).lower() == "true",
        "image_build_compute": values.get("imageBuildCompute") or None,
    }
    if values.get("publicNetworkAccess"):
        fields["public_network_access"] = values["publicNetworkAccess"]
    for field, (option, name_p, group_p, sub_p, type_) in _EXISTING.items():
        if str(values.get(option, "new")).lower() != "existing":
            continue  # "new" (basin makes it, with its own name) or "none"
        dependent = values.get(name_p)
        if not isinstance(dependent, str) or not dependent:
            raise ValidationError(
                f"Parameter '{name_p}' is required when '{option}' is 'existing'."
            )
        sub = values.get(sub_p) if sub_p else None
        fields[field] = resource_id(
            str(sub or subscription_id), str(values.get(group_p) or group), type_, dependent
        )
    if str(values.get("encryption_status", "Disabled")).lower() == "enabled":
        fields["customer_managed_key"] = CustomerManagedKey(
            key_vault=values.get("cmk_keyvault") or None,
            key_uri=str(values.get("resource_cmk_uri") or ""),
            cosmosdb_id=values.get("encryption_cosmosdb_resourceid") or None,
            storage_id=values.get("encryption_storage_resourceid") or None,
            search_id=values.get("encryption_search_resourceid") or None,
        )
    return parse_entity(Workspace, fields, source="workspace template"), values
