"""Azure ML's SDK v2 managed-identity notebook (azureml-examples,
sdk/python/endpoints/online/managed/managed-identities/online-endpoints-managed-identity-sai.ipynb)
as one script, for the real azure-ai-ml and Azure's management SDKs.

Nothing in it knows about basin: it reads the notebook's variables from the environment and
signs in with DefaultAzureCredential (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID).
Pointed at Azure it runs against Azure; with `eval "$(basin env)"` it runs against basin.
Like the notebook: a model, an environment, an endpoint with a system-assigned identity, a
storage account with a file (azure-mgmt-storage, azure-storage-blob), Storage Blob Data Reader
for the endpoint's identity (azure-mgmt-authorization), a deployment whose init() reads the file,
its logs, all traffic to it, an invocation, the keys, then everything deleted. It prints each
step's time and, last, a JSON line with the results the caller checks.

Run from this folder (the model must be trained first: python train.py).
"""

import json
import os
import sys
import time
import uuid

from azure.ai.ml import MLClient
from azure.ai.ml.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
)
from azure.identity import DefaultAzureCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import BlobContainer, Sku, StorageAccountCreateParameters
from azure.storage.blob import ContainerClient

# 1. Configure variables
subscription_id = os.environ["SUBSCRIPTION_ID"]
resource_group = os.environ["RESOURCE_GROUP"]
workspace_name = os.environ["WORKSPACE_NAME"]
suffix = os.environ.get("JOURNEY_SUFFIX") or str(uuid.uuid4().int % 10000)
endpoint_name = f"endpt-moe-{suffix}"
storage_account_name = f"oepstorage{suffix}"
storage_container_name = "hellocontainer"
file_name = "hello.txt"
greeting = os.environ.get("JOURNEY_GREETING", "hello from the journey's storage account")

started = time.monotonic()
steps: dict[str, float] = {}


def step(name: str) -> None:
    """Print the time the step that just ended took."""
    now = time.monotonic()
    steps[name] = round(now - started - sum(steps.values()), 2)
    print(f"{name}: {steps[name]:.2f} s", file=sys.stderr, flush=True)


credential = DefaultAzureCredential()
ml_client = MLClient(credential, subscription_id, resource_group, workspace_name)
workspace_location = ml_client.workspaces.get(workspace_name).location
step("workspace")

# 2. Register the model and the environment
model = ml_client.models.create_or_update(
    Model(path="model", name="sklearn-regression", description="Ridge regression")
)
environment = ml_client.environments.create_or_update(
    Environment(
        name="managed-identity-env",
        conda_file="conda.yml",
        image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest",
    )
)
step("model and environment")

# 3. The endpoint (system-assigned identity, key auth) and the deployment's definition
endpoint = ManagedOnlineEndpoint(name=endpoint_name, auth_mode="key")
deployment = ManagedOnlineDeployment(
    name="blue",
    endpoint_name=endpoint_name,
    model=model,
    code_configuration=CodeConfiguration(code="src", scoring_script="score.py"),
    environment=environment,
    instance_type="Standard_DS3_v2",
    instance_count=1,
    environment_variables={
        "STORAGE_ACCOUNT_NAME": storage_account_name,
        "STORAGE_CONTAINER_NAME": storage_container_name,
        "FILE_NAME": file_name,
    },
)

# 4. Storage account, container and file
storage_client = StorageManagementClient(credential=credential, subscription_id=subscription_id)
storage_account = storage_client.storage_accounts.begin_create(
    resource_group_name=resource_group,
    account_name=storage_account_name,
    parameters=StorageAccountCreateParameters(
        sku=Sku(name="Standard_LRS"), kind="Storage", location=workspace_location
    ),
).result()
storage_client.blob_containers.create(
    resource_group_name=resource_group,
    account_name=storage_account_name,
    container_name=storage_container_name,
    blob_container=BlobContainer(),
)
res = storage_client.storage_accounts.list_keys(
    resource_group_name=resource_group,
    account_name=storage_account_name,
)
keys = res.keys if hasattr(res, "keys") and not callable(res.keys) else res["keys"]
# Handle SDK compatibility where `list_keys` may return SDK models or mappings
key_entry = keys[0]
key = key_entry.value if hasattr(key_entry, "value") else key_entry["value"]
container_client = ContainerClient(
    account_url=storage_account.primary_endpoints.blob,
    container_name=storage_container_name,
    credential=key,
)
container_client.upload_blob(name=file_name, data=greeting.encode())
step("storage account and blob")

# 5. The endpoint
ml_client.online_endpoints.begin_create_or_update(endpoint).result()
endpoint = ml_client.online_endpoints.get(endpoint_name)
system_principal_id = endpoint.identity.principal_id
step("endpoint")

# 6. Storage Blob Data Reader for the endpoint's identity
role_definition_client = AuthorizationManagementClient(
    credential=credential, subscription_id=subscription_id, api_version="2018-01-01-preview"
)
role_assignment_client = AuthorizationManagementClient(
    credential=credential, subscription_id=subscription_id, api_version="2020-10-01-preview"
)
role_defs = role_definition_client.role_definitions.list(scope=storage_account.id)
role_def = next(r for r in role_defs if r.role_name == "Storage Blob Data Reader")
role_assignment_client.role_assignments.create(
    scope=storage_account.id,
    role_assignment_name=str(uuid.uuid4()),
    parameters=RoleAssignmentCreateParameters(
        role_definition_id=role_def.id, principal_id=system_principal_id
    ),
)
step("role assignment")

# 7. The deployment, its state and logs
ml_client.online_deployments.begin_create_or_update(deployment).result()
deployment = ml_client.online_deployments.get(endpoint_name=endpoint_name, name="blue")
logs = ml_client.online_deployments.get_logs("blue", endpoint_name, 1000)
step("deployment")

# 8. All traffic to blue, then invoke
endpoint.traffic = {"blue": 100}
ml_client.begin_create_or_update(endpoint).result()
answer = ml_client.online_endpoints.invoke(
    endpoint_name=endpoint_name, request_file="sample-request.json"
)
endpoint_keys = ml_client.online_endpoints.get_keys(endpoint_name)
step("traffic and invoke")

# 9. Delete the endpoint and the storage account
ml_client.online_endpoints.begin_delete(endpoint_name).result()
storage_client.storage_accounts.delete(
    resource_group_name=resource_group, account_name=storage_account_name
)
step("delete")

print(
    json.dumps(
        {
            "model": f"{model.name}:{model.version}",
            "environment": f"{environment.name}:{environment.version}",
            "principal_id": system_principal_id,
            "deployment_state": deployment.provisioning_state,
            "predictions": json.loads(answer),
            "logs": logs,
            "has_keys": bool(endpoint_keys.primary_key and endpoint_keys.secondary_key),
            "steps": steps,
            "seconds": round(time.monotonic() - started, 2),
        }
    )
)
