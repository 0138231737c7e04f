"""The ARM adapter (``management.azure.com``) in-process over a whole Platform: the shapes of
Azure's REST specifications, the same role checks as basin's own API, ARM's error envelope and
long-running operations, for callers holding a JWT from ``login.microsoftonline.com``."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from basin.entities import Environment
from basin.identity import Principal as TokenPrincipal
from basin.server.arm import create_arm_app
from basin.services import assets, datastores, deployments, principals, role_assignments, workspaces
from basin.services.platform import Platform
from basin.testing.platform import platform_under_test

ML = "Microsoft.MachineLearningServices"
V = {"api-version": "2024-10-01"}


@dataclass
class Arm:
    platform: Platform
    sub: str
    token: str
    app: Any

    def call(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        headers.update(kwargs.pop("headers", {}))
        params = {**V, **kwargs.pop("params", {})}
        app = self.app

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
            async with httpx.AsyncClient(
                transport=transport, base_url="https://management.azure.com"
            ) as client:
                return await client.request(method, path, headers=headers, params=params, **kwargs)

        return asyncio.run(send())

    def jwt_for(self, object_id: str, client_id: str, audience: str) -> str:
        assert self.platform.tokens is not None
        issued = self.platform.tokens.issue(TokenPrincipal(object_id, client_id), audience)
        return issued.token

    @property
    def group(self) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/rg-arm"

    @property
    def ws(self) -> str:
        return f"{self.group}/providers/{ML}/workspaces/ws-arm"


@pytest.fixture
def arm(tmp_path: Path) -> Iterator[Arm]:
    with platform_under_test(tmp_path) as made:
        api = Arm(
            made.platform,
            made.platform.subscription_id,
            made.admin_token,
            create_arm_app(made.platform),
        )
        yield api


@pytest.fixture
def sp(arm: Arm) -> dict[str, str]:
    """A service principal with Contributor on the group, and its management JWT."""
    assert arm.call("PUT", arm.group, json={"location": "local"}).status_code == 201
    info = principals.create(arm.platform, "arm-app")
    role_assignments.create(arm.platform, info.id, "Contributor", arm.group)
    token = arm.jwt_for(info.id, info.app_id, "https://management.azure.com/.default")
    return {"id": info.id, "app_id": info.app_id, "token": token}


@pytest.fixture
def ws(arm: Arm, sp: dict[str, str]) -> dict[str, Any]:
    created = arm.call("PUT", arm.ws, token=sp["token"], json={"location": "local"})
    assert created.status_code == 201, created.text
    return dict(created.json())


def _error(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    return dict(body["error"])


def test_authentication_and_the_error_envelope(arm: Arm, sp: dict[str, str]) -> None:
    refused = arm.call("GET", f"/subscriptions/{arm.sub}/resourceGroups", token="")
    assert "AZURE_CLIENT_ID" in _error(refused, 401)["message"]
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith('Bearer authorization_uri="https://login.microsoftonline.com/')
    # a token for another audience (blob storage) is not a management token
    storage = arm.jwt_for(sp["id"], sp["app_id"], "https://storage.azure.com/.default")
    _error(arm.call("GET", arm.group, token=storage), 401)
    listed = arm.call("GET", f"/subscriptions/{arm.sub}/resourcegroups", token=sp["token"])
    assert [g["name"] for g in listed.json()["value"]] == ["rg-arm"]
    assert (
        "NoRegisteredProviderFound"
        in _error(
            arm.call(
                "GET", f"/subscriptions/{arm.sub}/providers/Microsoft.Compute/virtualMachines"
            ),
            404,
        )["code"]
    )
    _error(arm.call("POST", arm.group), 405)
    bad_json = arm.call(
        "PUT", arm.group, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in _error(bad_json, 400)["message"]
    other_sub = arm.call(
        "GET", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/x"
    )
    assert arm.sub in _error(other_sub, 404)["message"]


def test_roles_decide_as_in_basins_own_api(arm: Arm, sp: dict[str, str]) -> None:
    reader = principals.create(arm.platform, "reader-app")
    role_assignments.create(arm.platform, reader.id, "Reader", arm.group)
    token = arm.jwt_for(reader.id, reader.app_id, "https://management.azure.com")
    assert arm.call("GET", arm.group, token=token).status_code == 200
    refused = _error(arm.call("PUT", arm.ws, token=token, json={}), 403)
    assert "Microsoft.MachineLearningServices/workspaces/write" in refused["message"]
    # Contributor cannot hand out roles
    assignment = f"{arm.group}/providers/Microsoft.Authorization/roleAssignments/0b7e8f1a-0000-4000-8000-000000000001"
    body = {"properties": {"roleDefinitionId": "Reader", "principalId": reader.id}}
    _error(arm.call("PUT", assignment, token=sp["token"], json=body), 403)


def test_subscription_and_groups(arm: Arm) -> None:
    subs = arm.call("GET", "/subscriptions").json()["value"]
    assert [s["subscriptionId"] for s in subs] == [arm.sub]
    assert subs[0]["tenantId"] == arm.platform.installation.tenant_id
    made = arm.call(
        "PUT",
        f"/subscriptions/{arm.sub}/resourcegroups/rg-two",
        json={"location": "local", "tags": {"a": "b"}},
    )
    assert made.status_code == 201 and made.json()["properties"]["provisioningState"] == "Succeeded"
    assert made.json()["type"] == "Microsoft.Resources/resourceGroups"
    again = arm.call(
        "PUT", f"/subscriptions/{arm.sub}/resourceGroups/rg-two", json={"location": "local"}
    )
    assert again.status_code == 200
    assert arm.call("HEAD", f"/subscriptions/{arm.sub}/resourceGroups/rg-two").status_code == 204
    assert arm.call("HEAD", f"/subscriptions/{arm.sub}/resourceGroups/nope").status_code == 404
    assert arm.call("DELETE", f"/subscriptions/{arm.sub}/resourceGroups/rg-two").status_code == 200
    _error(arm.call("GET", f"/subscriptions/{arm.sub}/resourceGroups/rg-two"), 404)


def test_storage_accounts_keys_and_containers(arm: Arm, sp: dict[str, str]) -> None:
    account = f"{arm.group}/providers/Microsoft.Storage/storageAccounts/armstore1"
    body = {
        "sku": {"name": "Standard_LRS"},
        "kind": "StorageV2",
        "location": "local",
        "tags": {"t": "1"},
    }
    made = arm.call("PUT", account, token=sp["token"], json=body).json()
    assert (
        made["properties"]["primaryEndpoints"]["blob"] == "https://armstore1.blob.core.windows.net/"
    )
    assert made["sku"]["name"] == "Standard_LRS" and made["tags"] == {"t": "1"}
    keys = arm.call("POST", account + "/listKeys", token=sp["token"]).json()["keys"]
    assert [k["keyName"] for k in keys] == ["key1", "key2"] and all(k["value"] for k in keys)
    renewed = arm.call(
        "POST", account + "/regenerateKey", token=sp["token"], json={"keyName": "key1"}
    )
    assert renewed.json()["keys"][0]["value"] != keys[0]["value"]
    container = account + "/blobServices/default/containers/data"
    assert arm.call("PUT", container, token=sp["token"], json={}).status_code == 201
    listed = arm.call("GET", account + "/blobServices/default/containers", token=sp["token"])
    assert [c["name"] for c in listed.json()["value"]] == ["data"]
    public = {"properties": {"publicAccess": "Blob"}}
    assert (
        "anonymous"
        in _error(arm.call("PUT", container, token=sp["token"], json=public), 400)["message"]
    )
    assert arm.call("DELETE", account, token=sp["token"]).status_code == 200
    _error(arm.call("GET", account, token=sp["token"]), 404)


def test_role_definitions_and_assignments_at_any_scope(arm: Arm, sp: dict[str, str]) -> None:
    account = f"{arm.group}/providers/Microsoft.Storage/storageAccounts/armstore2"
    arm.call("PUT", account, json={"location": "local"})
    found = arm.call(
        "GET", account + "/providers/Microsoft.Authorization/roleDefinitions",
        params={"$filter": "roleName eq 'Storage Blob Data Reader'"},
    ).json()["value"]  # fmt: skip
    assert len(found) == 1 and found[0]["properties"]["roleName"] == "Storage Blob Data Reader"
    path = (
        account
        + "/providers/Microsoft.Authorization/roleAssignments/6f1c39e7-1111-4222-8333-444455556666"
    )
    body = {"properties": {"roleDefinitionId": found[0]["id"], "principalId": sp["id"]}}
    made = arm.call("PUT", path, json=body)
    assert made.status_code == 201 and made.json()["properties"]["scope"] == account
    at_group = arm.call("GET", arm.group + "/providers/Microsoft.Authorization/roleAssignments")
    # below the group's scope: listed; atScope(): at or above only
    assert path in [a["id"] for a in at_group.json()["value"]]
    above = arm.call(
        "GET", arm.group + "/providers/Microsoft.Authorization/roleAssignments",
        params={"$filter": "atScope()"},
    ).json()["value"]  # fmt: skip
    assert path not in [a["id"] for a in above]
    mine = arm.call(
        "GET", f"/subscriptions/{arm.sub}/providers/Microsoft.Authorization/roleAssignments",
        params={"$filter": f"principalId eq '{sp['id']}'"},
    ).json()["value"]  # fmt: skip
    assert {a["properties"]["scope"] for a in mine} == {arm.group, account}
    assert arm.call("DELETE", path).status_code == 200
    _error(arm.call("GET", path), 404)


def test_user_assigned_identities(arm: Arm, sp: dict[str, str]) -> None:
    path = f"{arm.group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-arm"
    made = arm.call("PUT", path, token=sp["token"], json={"location": "local"})
    assert made.status_code == 201
    properties = made.json()["properties"]
    assert properties["principalId"] and properties["clientId"] and properties["tenantId"]
    again = arm.call("PUT", path, token=sp["token"], json={"location": "local", "tags": {"x": "y"}})
    assert again.status_code == 200 and again.json()["properties"] == properties
    assert again.json()["tags"] == {"x": "y"}
    assert arm.call("DELETE", path, token=sp["token"]).status_code == 200


def test_key_vaults_and_their_access_policies(arm: Arm, sp: dict[str, str]) -> None:
    path = f"{arm.group}/providers/Microsoft.KeyVault/vaults/kvarm"
    policy: dict[str, Any] = {
        "tenantId": arm.platform.installation.tenant_id,
        "objectId": sp["id"],
        "permissions": {"secrets": ["get", "List"]},
    }
    body: dict[str, Any] = {
        "location": "local",
        "properties": {
            "tenantId": arm.platform.installation.tenant_id,
            "sku": {"family": "A", "name": "standard"},
            "accessPolicies": [policy],
        },
    }
    made = arm.call("PUT", path, token=sp["token"], json=body)
    assert made.status_code == 201, made.text
    properties = made.json()["properties"]
    assert properties["vaultUri"] == "https://kvarm.vault.azure.net/"
    assert properties["enableRbacAuthorization"] is False
    assert properties["accessPolicies"][0]["permissions"]["secrets"] == ["get", "list"]
    assert properties["provisioningState"] == "Succeeded"
    add = {"properties": {"accessPolicies": [{**policy, "permissions": {"secrets": ["set"]}}]}}
    added = arm.call("PUT", path + "/accessPolicies/add", token=sp["token"], json=add)
    assert added.status_code == 200, added.text
    shown = arm.call("GET", path, token=sp["token"]).json()["properties"]["accessPolicies"]
    assert shown[0]["permissions"]["secrets"] == ["get", "list", "set"]
    arm.call("PUT", path + "/accessPolicies/remove", token=sp["token"], json=add)
    assert arm.call("GET", path, token=sp["token"]).json()["properties"]["accessPolicies"] == []
    wrong = {**body, "properties": {**body["properties"], "accessPolicies": [
        {**policy, "permissions": {"secrets": ["read-everything"]}}]}}  # fmt: skip
    assert (
        "read-everything"
        in _error(arm.call("PUT", path, token=sp["token"], json=wrong), 400)["message"]
    )
    listed = arm.call("GET", f"{arm.group}/providers/Microsoft.KeyVault/vaults", token=sp["token"])
    assert [v["name"] for v in listed.json()["value"]] == ["kvarm"]
    assert arm.call("DELETE", path, token=sp["token"]).status_code == 200
    _error(arm.call("GET", path, token=sp["token"]), 404)


def test_rest_scripts_get_the_operation_uri_and_may_paste_raw_lines(
    arm: Arm, sp: dict[str, str], ws: dict[str, Any]
) -> None:
    """azureml-examples' deploy-rest.sh polls properties.properties.AzureAsyncOperationUri with
    curl, and puts a conda file's lines into a JSON string unescaped, as Azure accepts."""
    endpoint = arm.ws + "/onlineEndpoints/ep-rest"
    made = arm.call(
        "PUT", endpoint, token=sp["token"],
        json={"location": "local", "properties": {"authMode": "AMLToken"}},
    )  # fmt: skip
    uri = made.json()["properties"]["properties"]["AzureAsyncOperationUri"]
    status = arm.call("GET", urlsplit(uri).path, token=sp["token"])
    assert status.json()["status"] == "Succeeded"
    conda = "name: env\ndependencies:\n  - python=3.11\n"  # real line breaks, unescaped
    raw = (
        '{"properties": {"condaFile": "'
        + conda
        + '", "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"}}'
    )
    assert "\n" in raw  # a real line break inside the JSON string
    put = arm.call(
        "PUT", arm.ws + "/environments/env-rest/versions/1", token=sp["token"],
        content=raw.encode(), headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert put.status_code in (200, 201), put.text
    assert put.json()["properties"]["condaFile"].startswith("name: env\n")


def _template(**parameters: Any) -> dict[str, Any]:
    declared = {
        name: {"type": "string"}
        for name in ("workspaceName", "storageAccountOption", "keyVaultOption",
                     "applicationInsightsOption", "location", "tagValues", "kind")
    }  # fmt: skip
    declared["storageAccountOption"]["defaultValue"] = "new"
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": declared,
        "resources": [
            {
                "type": "Microsoft.MachineLearningServices/workspaces",
                "name": "[parameters('workspaceName')]",
            }
        ],
        "_given": {k: {"value": v} for k, v in parameters.items()},
    }


def test_azure_mls_workspace_template_makes_the_workspace(arm: Arm, sp: dict[str, str]) -> None:
    template = _template()
    parameters = {
        "workspaceName": {"value": "ws-template"},
        "location": {"value": "local"},
        "kind": {"value": "Default"},
        "tagValues": {"value": {"createdByToolkit": "sdk-v2-1.35.2"}},
        "keyVaultOption": {"value": "new"},
        "applicationInsightsOption": {"value": "new"},
    }
    template.pop("_given")
    path = f"{arm.group}/providers/Microsoft.Resources/deployments/ws-template-1"
    made = arm.call(
        "PUT",
        path,
        token=sp["token"],
        json={
            "properties": {"template": template, "parameters": parameters, "mode": "incremental"}
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["properties"]["provisioningState"] == "Succeeded"
    ws = workspaces.get(arm.platform, "rg-arm", "ws-template")
    assert ws.tags == {"createdByToolkit": "sdk-v2-1.35.2"} and ws.storage_account
    operations = arm.call(
        "GET",
        f"/subscriptions/{arm.sub}/resourcegroups/rg-arm/deployments/ws-template-1/operations",
        token=sp["token"],
    )
    targets = [
        o["properties"]["targetResource"]["resourceType"] for o in operations.json()["value"]
    ]
    assert "Microsoft.MachineLearningServices/workspaces" in targets
    assert "Microsoft.Storage/storageAccounts" in targets
    other = {
        "properties": {
            "template": {
                "parameters": {},
                "resources": [{"type": "Microsoft.Compute/virtualMachines"}],
            }
        }
    }
    # (not path.replace("-1", "-2"): a random subscription id may hold "-1" too)
    second = f"{arm.group}/providers/Microsoft.Resources/deployments/ws-template-2"
    refused = _error(arm.call("PUT", second, token=sp["token"], json=other), 400)
    assert "no general template engine" in refused["message"]
    # the template engine acts with the caller's rights
    reader = principals.create(arm.platform, "template-reader")
    role_assignments.create(arm.platform, reader.id, "Reader", arm.group)
    token = arm.jwt_for(reader.id, reader.app_id, "https://management.azure.com")
    parameters["workspaceName"] = {"value": "ws-template-2"}
    body = {"properties": {"template": template, "parameters": parameters}}
    third = f"{arm.group}/providers/Microsoft.Resources/deployments/ws-template-3"
    _error(arm.call("PUT", third, token=token, json=body), 403)


def test_workspace_shape_update_and_delete(
    arm: Arm, sp: dict[str, str], ws: dict[str, Any]
) -> None:
    properties = ws["properties"]
    assert ws["type"] == f"{ML}/workspaces" and ws["identity"]["type"] == "SystemAssigned"
    assert properties["storageAccount"].endswith(
        "/providers/Microsoft.Storage/storageAccounts/"
        + properties["storageAccount"].rsplit("/", 1)[-1]
    )
    assert properties["provisioningState"] == "Succeeded" and properties["workspaceId"]
    patched = arm.call(
        "PATCH",
        arm.ws,
        token=sp["token"],
        json={"properties": {"description": "d2", "friendlyName": "Nice"}, "tags": {"k": "v"}},
    )
    assert patched.json()["properties"]["description"] == "d2" and patched.json()["tags"] == {
        "k": "v"
    }
    immutable = arm.call(
        "PATCH", arm.ws, token=sp["token"], json={"properties": {"hbiWorkspace": True}}
    )
    assert _error(immutable, 400)["code"] == "ImmutableField"
    assert arm.call("DELETE", arm.ws, token=sp["token"]).status_code == 200
    _error(arm.call("GET", arm.ws, token=sp["token"]), 404)  # soft-deleted


def _upload(arm: Arm, path: str, data: bytes) -> None:
    workspace = workspaces.get(arm.platform, "rg-arm", "ws-arm")
    where = datastores.location_of(arm.platform, workspace)
    assert arm.platform.blobs is not None
    arm.platform.blobs.put_blob_bytes(where.account, where.container, path, data)


def test_ml_azure_coms_model_management_deletes_a_version(
    arm: Arm, sp: dict[str, str], ws: dict[str, Any]
) -> None:
    """azureml-examples' ncd script: ``curl -X DELETE https://ml.azure.com/api/{region}/
    modelmanagement/v1.0/…/models/{name}:{version}`` with a management token."""
    _upload(arm, "LocalUpload/v1/model/w.pkl", b"w")
    model_uri = (
        f"azureml://subscriptions/{arm.sub}/resourcegroups/rg-arm/workspaces/ws-arm/"
        "datastores/workspaceblobstore/paths/LocalUpload/v1/model"
    )
    for version in ("1", "2"):
        made = arm.call(
            "PUT", f"{arm.ws}/models/old-model/versions/{version}", token=sp["token"],
            json={"properties": {"modelUri": model_uri}},
        )  # fmt: skip
        assert made.status_code in (200, 201), made.text
    v1 = f"/api/eastus/modelmanagement/v1.0{arm.ws}/models/old-model:2"
    reader = principals.create(arm.platform, "mm-reader")
    role_assignments.create(arm.platform, reader.id, "Reader", arm.group)
    token = arm.jwt_for(reader.id, reader.app_id, "https://management.azure.com")
    assert "delete" in _error(arm.call("DELETE", v1, token=token), 403)["message"].lower()
    assert arm.call("DELETE", v1, token=sp["token"]).status_code == 200
    _error(arm.call("GET", f"{arm.ws}/models/old-model/versions/2", token=sp["token"]), 404)
    assert arm.call("GET", f"{arm.ws}/models/old-model/versions/1", token=sp["token"]).is_success
    _error(arm.call("DELETE", v1, token=sp["token"]), 404)  # gone already: the script goes on
    wrong = arm.call("DELETE", v1.replace("old-model:2", "old-model"), token=sp["token"])
    assert "<name>:<version>" in _error(wrong, 400)["message"]


def test_datastore_and_a_short_lived_sas(arm: Arm, sp: dict[str, str], ws: dict[str, Any]) -> None:
    stores = arm.call(
        "GET", arm.ws + "/datastores", token=sp["token"], params={"isDefault": "true"}
    ).json()["value"]
    assert [s["name"] for s in stores] == ["workspaceblobstore"]
    properties = stores[0]["properties"]
    assert properties["datastoreType"] == "AzureBlob" and properties["isDefault"] is True
    assert properties["credentials"] == {"credentialsType": "AccountKey"}
    secrets = arm.call(
        "POST",
        arm.ws + "/datastores/workspaceblobstore/listSecrets",
        token=sp["token"],
        json={"expirableSecret": True, "expireAfterHours": 24},
    ).json()
    assert secrets["secretsType"] == "Sas" and "key" not in secrets
    query = parse_qs(secrets["sasToken"])
    assert query["sr"] == ["c"] and query["spr"] == ["https"]
    from datetime import UTC, datetime, timedelta

    expiry = datetime.fromisoformat(query["se"][0].replace("Z", "+00:00"))
    assert expiry <= datetime.now(UTC) + timedelta(hours=1, minutes=1)  # capped at an hour
    _error(arm.call("GET", arm.ws + "/datastores/other", token=sp["token"]), 404)
    assert (
        "one datastore"
        in _error(
            arm.call("PUT", arm.ws + "/datastores/workspaceblobstore", token=sp["token"], json={}),
            400,
        )["message"]
    )


def test_models_versions_containers_and_references(
    arm: Arm, sp: dict[str, str], ws: dict[str, Any]
) -> None:
    _upload(arm, "LocalUpload/abc/model/weights.pkl", b"weights")
    long_uri = (
        f"azureml://subscriptions/{arm.sub}/resourcegroups/rg-arm/workspaces/ws-arm/datastores/"
        "workspaceblobstore/paths/LocalUpload/abc/model"
    )
    body = {"properties": {"modelUri": long_uri, "modelType": "custom_model", "description": "m"}}
    made = arm.call("PUT", arm.ws + "/models/reg/versions/1", token=sp["token"], json=body)
    assert made.status_code == 201, made.text
    properties = made.json()["properties"]
    assert properties["modelUri"] == long_uri and properties["flavors"] == {}
    # the same version with the same files again: accepted (a retried PUT); other files: 409
    assert (
        arm.call("PUT", arm.ws + "/models/reg/versions/1", token=sp["token"], json=body).status_code
        == 201
    )
    _upload(arm, "LocalUpload/def/model/weights.pkl", b"other")
    other = {"properties": {"modelUri": long_uri.replace("/abc/", "/def/")}}
    _error(arm.call("PUT", arm.ws + "/models/reg/versions/1", token=sp["token"], json=other), 409)
    arm.call("PUT", arm.ws + "/models/reg/versions/2", token=sp["token"], json=other)
    container = arm.call("GET", arm.ws + "/models/reg", token=sp["token"]).json()["properties"]
    assert container["latestVersion"] == "2" and container["nextVersion"] == "3"
    newest = arm.call(
        "GET",
        arm.ws + "/models/reg/versions",
        token=sp["token"],
        params={"$orderBy": "createdtime desc", "$top": "1"},
    )
    assert [v["name"] for v in newest.json()["value"]] == ["2"]
    _error(arm.call("GET", arm.ws + "/models/nothing", token=sp["token"]), 404)
    elsewhere = {
        "properties": {"modelUri": long_uri.replace("/workspaces/ws-arm/", "/workspaces/other/")}
    }
    assert (
        "another workspace"
        in _error(
            arm.call("PUT", arm.ws + "/models/reg/versions/3", token=sp["token"], json=elsewhere),
            400,
        )["message"]
    )


def test_code_versions_pending_uploads_and_hashes(
    arm: Arm, sp: dict[str, str], ws: dict[str, Any]
) -> None:
    started = arm.call(
        "POST",
        arm.ws + "/codes/c1/versions/1/startPendingUpload",
        token=sp["token"],
        json={"pendingUploadType": "TemporaryBlobReference"},
    )
    reference = started.json()["blobReferenceForConsumption"]
    blob_uri, sas_uri = reference["blobUri"], reference["credential"]["sasUri"]
    assert reference["credential"]["credentialType"] == "SAS" and sas_uri.startswith(blob_uri + "?")
    account = urlsplit(blob_uri).hostname.split(".")[0]
    container = urlsplit(blob_uri).path.strip("/")
    assert arm.platform.blobs is not None
    arm.platform.blobs.put_blob_bytes(account, container, "src/score.py", b"def init(): pass\n")
    body = {
        "properties": {
            "codeUri": f"{blob_uri}/src",
            "isAnonymous": True,
            "properties": {"hash_sha256": "h1", "hash_version": "202208"},
        }
    }
    made = arm.call("PUT", arm.ws + "/codes/c1/versions/1", token=sp["token"], json=body)
    assert made.status_code == 201 and made.json()["properties"]["codeUri"] == f"{blob_uri}/src"
    by_hash = arm.call(
        "GET",
        arm.ws + "/codes/c1/versions",
        token=sp["token"],
        params={"hash": "h1", "hashVersion": "202208"},
    )
    assert [v["id"] for v in by_hash.json()["value"]] == [made.json()["id"]]
    none = arm.call("GET", arm.ws + "/codes/c1/versions", token=sp["token"], params={"hash": "h2"})
    assert none.json()["value"] == []
    missing = {"properties": {"codeUri": f"{blob_uri}/nothing-here"}}
    _error(arm.call("PUT", arm.ws + "/codes/c2/versions/1", token=sp["token"], json=missing), 404)
    outside = {"properties": {"codeUri": "https://someoneelse.blob.core.windows.net/c/src"}}
    assert (
        "storage account"
        in _error(
            arm.call("PUT", arm.ws + "/codes/c3/versions/1", token=sp["token"], json=outside), 400
        )["message"]
    )


def test_endpoints_keys_tokens_and_identity(
    arm: Arm, sp: dict[str, str], ws: dict[str, Any]
) -> None:
    endpoint = arm.ws + "/onlineEndpoints/ep-arm"
    body = {
        "location": "local",
        "identity": {"type": "SystemAssigned"},
        "properties": {"authMode": "Key"},
    }
    made = arm.call("PUT", endpoint, token=sp["token"], json=body)
    assert made.status_code == 201 and "azure-asyncoperation" not in made.headers  # done at once
    shown = made.json()
    assert shown["identity"]["type"] == "SystemAssigned" and shown["identity"]["principalId"]
    assert (
        shown["properties"]["provisioningState"] == "Succeeded"
        and shown["properties"]["scoringUri"]
    )
    keys = arm.call("POST", endpoint + "/listKeys", token=sp["token"]).json()
    assert keys["primaryKey"] and keys["secondaryKey"]
    # azure-ai-ml sends the key's current value: a new random key replaces it
    regenerate = {"keyType": "Secondary", "keyValue": keys["secondaryKey"]}
    assert (
        arm.call(
            "POST", endpoint + "/regenerateKeys", token=sp["token"], json=regenerate
        ).status_code
        == 200
    )
    after = arm.call("POST", endpoint + "/listKeys", token=sp["token"]).json()
    assert (
        after["secondaryKey"] != keys["secondaryKey"] and after["primaryKey"] == keys["primaryKey"]
    )
    chosen = {"keyType": "Primary", "keyValue": "a-key-of-my-own"}
    refused = _error(
        arm.call("POST", endpoint + "/regenerateKeys", token=sp["token"], json=chosen), 400
    )
    assert "keyValue" in refused["message"] and "a-key-of-my-own" not in refused["message"]
    wrong = _error(arm.call("POST", endpoint + "/token", token=sp["token"]), 400)
    assert "listKeys" in wrong["message"]
    switched = {
        **body,
        "identity": {
            "type": "UserAssigned",
            "userAssignedIdentities": {
                f"{arm.group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u": {}
            },
        },
    }
    _error(arm.call("PUT", endpoint, token=sp["token"], json=switched), 400)
    token_ep = arm.ws + "/onlineEndpoints/ep-arm-token"
    arm.call(
        "PUT",
        token_ep,
        token=sp["token"],
        json={"location": "local", "properties": {"authMode": "AMLToken"}},
    )
    issued = arm.call("POST", token_ep + "/token", token=sp["token"]).json()
    assert issued["accessToken"].count(".") == 2 and issued["tokenType"] == "Bearer"
    _error(arm.call("POST", token_ep + "/listKeys", token=sp["token"]), 400)
    aad = {"location": "local", "properties": {"authMode": "AADToken"}}
    assert (
        "AADToken"
        in _error(
            arm.call("PUT", arm.ws + "/onlineEndpoints/ep-aad", token=sp["token"], json=aad), 400
        )["message"]
    )
    assert arm.call("DELETE", endpoint, token=sp["token"]).status_code == 200
    _error(arm.call("GET", endpoint, token=sp["token"]), 404)


def test_deployments_are_long_running_operations(
    arm: Arm, sp: dict[str, str], ws: dict[str, Any]
) -> None:
    arm.call(
        "PUT",
        arm.ws + "/onlineEndpoints/ep-lro",
        token=sp["token"],
        json={"location": "local", "properties": {"authMode": "Key"}},
    )
    _upload(arm, "LocalUpload/m1/model/w.pkl", b"w")
    model_uri = f"azureml://subscriptions/{arm.sub}/resourcegroups/rg-arm/workspaces/ws-arm/datastores/workspaceblobstore/paths/LocalUpload/m1/model"
    arm.call(
        "PUT",
        arm.ws + "/models/m/versions/1",
        token=sp["token"],
        json={"properties": {"modelUri": model_uri}},
    )
    _upload(arm, "LocalUpload/c1/src/score.py", b"def init(): pass\ndef run(x): return x\n")
    code_uri = model_uri.replace("/m1/model", "/c1/src")
    arm.call(
        "PUT",
        arm.ws + "/codes/code/versions/1",
        token=sp["token"],
        json={"properties": {"codeUri": code_uri}},
    )
    # no builder in process: the version is stored as the environment service would store it
    workspace = workspaces.get(arm.platform, "rg-arm", "ws-arm")
    assert workspace.id is not None
    env = Environment(name="env", version="1", image="basin:minimal")
    assets.register(
        arm.platform,
        workspace.id,
        "environments",
        env,
        lambda e, v, r: e.model_copy(update={"id": r}),
        "Environment",
    )
    deployment = arm.ws + "/onlineEndpoints/ep-lro/deployments/blue"
    body: dict[str, Any] = {
        "location": "local",
        "sku": {"name": "Default", "capacity": 2},
        "properties": {
            "endpointComputeType": "Managed",
            "model": arm.ws + "/models/m/versions/1",
            "environmentId": arm.ws + "/environments/env/versions/1",
            "codeConfiguration": {
                "codeId": arm.ws + "/codes/code/versions/1",
                "scoringScript": "score.py",
            },
            "instanceType": "Standard_DS3_v2",
            "requestSettings": {
                "requestTimeout": "PT3S",
                "maxConcurrentRequestsPerInstance": 4,
                "maxQueueWait": "PT0.5S",
            },
            "livenessProbe": {
                "initialDelay": "PT1S",
                "period": "PT10S",
                "timeout": "PT2S",
                "failureThreshold": 3,
                "successThreshold": 1,
            },
        },
    }
    made = arm.call("PUT", deployment, token=sp["token"], json=body)
    assert made.status_code == 201, made.text
    assert made.headers["retry-after"] == "1"
    status_url = made.headers["azure-asyncoperation"]
    assert status_url.startswith("https://management.azure.com/subscriptions/")
    shown = made.json()
    assert shown["sku"]["capacity"] == 2 and shown["properties"]["scaleSettings"] == {
        "scaleType": "Default"
    }
    assert shown["properties"]["codeConfiguration"]["codeId"] == arm.ws + "/codes/code/versions/1"
    assert shown["properties"]["model"] == arm.ws + "/models/m/versions/1"
    assert shown["properties"]["requestSettings"] == {
        "requestTimeout": "PT3S",
        "maxConcurrentRequestsPerInstance": 4,
        "maxQueueWait": "PT0.5S",
    }
    status_path = urlsplit(status_url).path
    pending = arm.call("GET", status_path, token=sp["token"])
    assert pending.json()["status"] == "InProgress" and pending.headers["retry-after"] == "1"
    stored = deployments.get(arm.platform, "rg-arm", "ws-arm", "ep-lro", "blue")
    assert stored.id is not None
    deployments.set_state(arm.platform, stored.id, "Failed", "init() raised KeyError")
    failed = arm.call("GET", status_path, token=sp["token"]).json()
    assert failed["status"] == "Failed" and "KeyError" in failed["error"]["message"]
    deployments.set_state(arm.platform, stored.id, "Succeeded")
    assert arm.call("GET", status_path, token=sp["token"]).json()["status"] == "Succeeded"
    # another principal without rights on the deployment learns nothing from its status
    stranger = principals.create(arm.platform, "stranger")
    token = arm.jwt_for(stranger.id, stranger.app_id, "https://management.azure.com")
    _error(arm.call("GET", status_path, token=token), 403)
    forged = status_path.rsplit("/", 1)[0] + "/" + base64.urlsafe_b64encode(b"not an id").decode()
    _error(arm.call("GET", forged, token=sp["token"]), 404)
    skus = arm.call("GET", deployment + "/skus", token=sp["token"]).json()["value"]
    assert skus[0]["sku"]["name"] == "Default"
    logs = arm.call(
        "POST",
        deployment + "/getLogs",
        token=sp["token"],
        json={"containerType": "InferenceServer", "tail": 10},
    )
    assert logs.json() == {"content": ""}  # no serving controller in process
    bad = {
        **body,
        "properties": {**body["properties"], "requestSettings": {"requestTimeout": "5 seconds"}},
    }
    assert (
        "ISO 8601"
        in _error(arm.call("PUT", deployment, token=sp["token"], json=bad), 400)["message"]
    )
    assert arm.call("DELETE", deployment, token=sp["token"]).status_code == 200


def test_connections_keep_their_secret(arm: Arm, sp: dict[str, str], ws: dict[str, Any]) -> None:
    path = arm.ws + "/connections/feed"
    body = {
        "properties": {
            "category": "PythonFeed",
            "authType": "PAT",
            "target": "https://pkgs.example.com/simple/",
            "credentials": {"pat": "feed-pat-value"},
        }
    }
    made = arm.call("PUT", path, token=sp["token"], json=body)
    assert made.status_code == 200, made.text
    properties = made.json()["properties"]
    assert properties["category"] == "PythonFeed" and properties["authType"] == "PAT"
    assert "feed-pat-value" not in made.text
    listed = arm.call(
        "GET", arm.ws + "/connections", token=sp["token"], params={"category": "PythonFeed"}
    )
    assert [c["name"] for c in listed.json()["value"]] == ["feed"]
    assert "feed-pat-value" not in listed.text
    refused = _error(arm.call("POST", path + "/listsecrets", token=sp["token"]), 403)
    assert "never returns" in refused["message"]
    oauth = {"properties": {**body["properties"], "authType": "OAuth2"}}
    assert "OAuth2" in _error(arm.call("PUT", path, token=sp["token"], json=oauth), 400)["message"]
    assert arm.call("DELETE", path, token=sp["token"]).status_code == 200
    _error(arm.call("GET", path, token=sp["token"]), 404)
