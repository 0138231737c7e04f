"""The MSI_ENDPOINT protocol as pure functions: query, identity choice, response, secrets."""

from __future__ import annotations

import pytest

from basin.errors import AuthorizationError, ValidationError
from basin.identity import (
    EndpointIdentities,
    ManagedIdentity,
    MsiRequest,
    MsiResponse,
    TokenIssuer,
    answer_msi_request,
    choose_identity,
    hash_msi_secret,
    msi_token_response,
    new_msi_secret,
    parse_msi_query,
    verify_msi_secret,
)

RG = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg"
ENDPOINT_ID = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ep"
SYSTEM = ManagedIdentity(
    client_id="5a5a5a5a-0000-0000-0000-000000000001",
    object_id="5b5b5b5b-0000-0000-0000-000000000001",
    resource_id=ENDPOINT_ID,
    system_assigned=True,
)
UAI_1 = ManagedIdentity(
    client_id="1a1a1a1a-0000-0000-0000-000000000001",
    object_id="1b1b1b1b-0000-0000-0000-000000000001",
    resource_id=f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/one",
)
UAI_2 = ManagedIdentity(
    client_id="2a2a2a2a-0000-0000-0000-000000000002",
    object_id="2b2b2b2b-0000-0000-0000-000000000002",
    resource_id=f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/two",
)
STRANGER = "9a9a9a9a-0000-0000-0000-000000000009"


# -- parsing ----------------------------------------------------------------------------------


def test_parse_what_azure_identity_sends() -> None:
    request = parse_msi_query(
        {
            "api-version": "2017-09-01",
            "resource": "https://storage.azure.com",
            "clientid": UAI_1.client_id,
        }
    )
    assert request == MsiRequest(
        "https://storage.azure.com", "2017-09-01", client_id=UAI_1.client_id
    )


def test_parse_keeps_the_resource_as_asked_and_defaults_the_version() -> None:
    request = parse_msi_query([("Resource", " https://storage.azure.com/.default ")])
    assert request.resource == "https://storage.azure.com/.default"
    assert request.api_version == "2017-09-01"
    assert request.client_id is request.object_id is request.mi_res_id is None


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("clientid", "client_id"),
        ("client_id", "client_id"),
        ("CLIENTID", "client_id"),
        ("object_id", "object_id"),
        ("principal_id", "object_id"),
        ("mi_res_id", "mi_res_id"),
        ("msi_res_id", "mi_res_id"),
        ("resource_id", "mi_res_id"),
    ],
)
def test_identity_selector_spellings(name: str, field: str) -> None:
    request = parse_msi_query({"resource": "https://storage.azure.com", name: "value"})
    assert getattr(request, field) == "value"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "resource is required"),
        ({"resource": "  "}, "resource is required"),
        ({"resource": "https://storage.azure.com https://vault.azure.net"}, "single URI"),
        ({"resource": "https://storage.azure.com", "api-version": "2099-01-01"}, "not supported"),
        ({"resource": "r", "clientid": "a", "object_id": "b"}, "at most one"),
        ({"resource": "r", "clientid": "a", "client_id": "b"}, "only one of clientid, client_id"),
    ],
)
def test_parse_refuses_bad_queries(query: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_msi_query(query)


def test_parse_refuses_repeated_parameters() -> None:
    with pytest.raises(ValidationError, match="more than once"):
        parse_msi_query([("resource", "a"), ("RESOURCE", "b")])


# -- choosing the identity --------------------------------------------------------------------


def request(**selector: str) -> MsiRequest:
    return MsiRequest("https://storage.azure.com", "2017-09-01", **selector)


def test_default_is_the_system_assigned_identity() -> None:
    both = EndpointIdentities("ep", SYSTEM, (UAI_1, UAI_2))
    assert choose_identity(request(), both) is SYSTEM


def test_default_is_the_only_user_assigned_identity() -> None:
    assert choose_identity(request(), EndpointIdentities("ep", None, (UAI_1,))) is UAI_1


def test_no_default_among_several_user_assigned_identities() -> None:
    with pytest.raises(AuthorizationError, match="several user-assigned") as caught:
        choose_identity(request(), EndpointIdentities("ep", None, (UAI_1, UAI_2)))
    assert UAI_1.client_id in caught.value.message and UAI_2.client_id in caught.value.message


def test_no_identity_at_all() -> None:
    with pytest.raises(AuthorizationError, match="no managed identity"):
        choose_identity(request(), EndpointIdentities("ep"))


def test_selectors_pick_an_attached_identity() -> None:
    identities = EndpointIdentities("ep", SYSTEM, (UAI_1, UAI_2))
    assert choose_identity(request(client_id=UAI_2.client_id.upper()), identities) is UAI_2
    assert choose_identity(request(client_id=SYSTEM.client_id), identities) is SYSTEM
    assert choose_identity(request(object_id=UAI_1.object_id), identities) is UAI_1
    assert choose_identity(request(mi_res_id=UAI_2.resource_id.lower()), identities) is UAI_2


@pytest.mark.parametrize("selector", ["client_id", "object_id", "mi_res_id"])
def test_an_identity_not_attached_is_refused(selector: str) -> None:
    identities = EndpointIdentities("ep", SYSTEM, (UAI_1,))
    with pytest.raises(AuthorizationError, match="Identity not found") as caught:
        choose_identity(request(**{selector: STRANGER}), identities)
    assert "'ep'" in caught.value.message and UAI_1.client_id in caught.value.message


# -- responses and secrets --------------------------------------------------------------------


def test_token_response_shape() -> None:
    body = msi_token_response("tok", 1_800_000_000, "https://storage.azure.com", UAI_1.client_id)
    assert body == {
        "access_token": "tok",
        "expires_on": 1_800_000_000,
        "resource": "https://storage.azure.com",
        "token_type": "Bearer",
        "client_id": UAI_1.client_id,
    }
    assert isinstance(body["expires_on"], int)


def test_secrets_are_random_and_only_their_hash_is_kept() -> None:
    secret = new_msi_secret()
    assert len(secret) >= 40 and secret != new_msi_secret()
    stored = hash_msi_secret(secret)
    assert secret not in stored and stored.startswith("sha256:")
    assert verify_msi_secret(secret, stored)
    assert not verify_msi_secret(secret + "x", stored)
    assert not verify_msi_secret("", stored)
    assert not verify_msi_secret(None, stored)
    assert not verify_msi_secret(secret, secret)  # a stored value that is not a hash never matches


# -- the whole exchange -----------------------------------------------------------------------


def answer(
    issuer: TokenIssuer, query: dict[str, str], secret: str | None, stored: str
) -> MsiResponse:
    identities = EndpointIdentities("ep", SYSTEM, (UAI_1,))
    return answer_msi_request(
        query, secret, secret_hash=stored, identities=identities, issuer=issuer, lifetime=3600
    )


def test_answer_mints_a_token_for_the_chosen_identity(issuer: TokenIssuer) -> None:
    secret = new_msi_secret()
    query = {
        "api-version": "2017-09-01",
        "resource": "https://storage.azure.com",
        "clientid": UAI_1.client_id,
    }
    response = answer(issuer, query, secret, hash_msi_secret(secret))
    assert response.status == 200
    assert response.body["resource"] == "https://storage.azure.com"
    assert response.body["client_id"] == UAI_1.client_id
    claims = issuer.verify(response.body["access_token"], "https://storage.azure.com/")
    assert claims.object_id == UAI_1.object_id
    assert claims.mi_resource_id == UAI_1.resource_id
    assert response.body["expires_on"] == claims.expires_on
    assert response.body["access_token"] not in repr(response)


def test_answer_echoes_the_resource_as_asked(issuer: TokenIssuer) -> None:
    # azure-identity's async credential caches the token under the "resource" it gets back
    secret = new_msi_secret()
    query = {"resource": "https://storage.azure.com/.default"}
    response = answer(issuer, query, secret, hash_msi_secret(secret))
    assert response.body["resource"] == "https://storage.azure.com/.default"
    assert response.body["client_id"] == SYSTEM.client_id
    claims = issuer.verify(response.body["access_token"], "https://storage.azure.com")
    assert claims.audience == "https://storage.azure.com"
    assert claims.object_id == SYSTEM.object_id


def test_answer_refuses_a_bad_secret_without_minting(issuer: TokenIssuer) -> None:
    stored = hash_msi_secret(new_msi_secret())
    for presented in (None, "", "guess"):
        response = answer(issuer, {"resource": "https://storage.azure.com"}, presented, stored)
        assert response.status == 401
        assert response.body["error"] == "invalid_client"
        assert "secret" in response.body["error_description"]
        assert "access_token" not in response.body


def test_answer_refuses_a_foreign_identity(issuer: TokenIssuer) -> None:
    secret = new_msi_secret()
    query = {"resource": "https://storage.azure.com", "clientid": STRANGER}
    response = answer(issuer, query, secret, hash_msi_secret(secret))
    assert response.status == 403
    assert response.body["error"] == "unauthorized_client"
    assert "Identity not found" in response.body["error_description"]


def test_answer_refuses_a_bad_query(issuer: TokenIssuer) -> None:
    secret = new_msi_secret()
    response = answer(issuer, {"api-version": "2017-09-01"}, secret, hash_msi_secret(secret))
    assert response.status == 400
    assert response.body["error"] == "invalid_request"
