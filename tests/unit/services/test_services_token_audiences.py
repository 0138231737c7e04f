"""Endpoint tokens come only from the endpoint's get-credentials call (security defects of #13).

Before the fix, ``{"resource": "<scoring uri>/.default/.default"}`` passed the token service's
check (one ``/.default`` stripped) and was minted by the issuer (another stripped); the MSI
endpoint minted endpoint audiences for any replica; and the gateway accepted any host in ``aud``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from basin.errors import AuthenticationError, ValidationError
from basin.identity import Principal as TokenPrincipal
from basin.identity.endpoint_tokens import verify_endpoint_token
from basin.identity.msi import (
    EndpointIdentities,
    ManagedIdentity,
    answer_msi_request,
    hash_msi_secret,
    new_msi_secret,
)
from basin.services import tokens
from basin.testing.platform import PlatformUnderTest, platform_under_test

SCORING = "http://127.0.0.1:7462/endpoints/ep1/score"
OTHER = "http://127.0.0.1:7462/endpoints/ep2/score"


@pytest.fixture
def put(tmp_path: Path) -> Iterator[PlatformUnderTest]:
    with platform_under_test(tmp_path) as made:
        yield made


@pytest.mark.parametrize(
    "resource",
    [
        SCORING,
        SCORING + "/",
        SCORING + "/.default",
        SCORING + "/.default/.default",
        SCORING + "/.DEFAULT/.default/",
        SCORING.upper().replace("/ENDPOINTS/EP1/SCORE", "/endpoints/ep1/score"),
        "https://elsewhere.example/endpoints/ep1/score/.default/.default",
    ],
)
def test_the_token_service_never_mints_an_endpoint_audience(
    put: PlatformUnderTest, resource: str
) -> None:
    with pytest.raises(ValidationError):
        tokens.issue_for(put.platform, put.admin, resource)


def test_a_scope_with_two_default_suffixes_is_refused(put: PlatformUnderTest) -> None:
    with pytest.raises(ValidationError, match=r"/\.default"):
        tokens.issue_for(put.platform, put.admin, "https://storage.azure.com/.default/.default")


def _identities() -> EndpointIdentities:
    system = ManagedIdentity(
        client_id="c1c1c1c1-1111-2222-3333-444444444444",
        object_id="0f0f0f0f-1111-2222-3333-444444444444",
        resource_id="/subscriptions/s/resourceGroups/rg/providers/x/onlineEndpoints/ep1",
        system_assigned=True,
    )
    return EndpointIdentities(endpoint="ep1", system_assigned=system)


@pytest.mark.parametrize("resource", [OTHER, OTHER + "/.default", OTHER + "/.default/.default"])
def test_the_msi_endpoint_never_mints_an_endpoint_audience(
    put: PlatformUnderTest, resource: str
) -> None:
    secret = new_msi_secret()
    assert put.platform.tokens is not None
    answer = answer_msi_request(
        {"resource": resource, "api-version": "2017-09-01"},
        secret,
        secret_hash=hash_msi_secret(secret),
        identities=_identities(),
        issuer=put.platform.tokens,
    )
    assert answer.status == 400, answer
    assert "access_token" not in answer.body


def test_the_gateway_check_wants_this_endpoints_scoring_uri_exactly(
    put: PlatformUnderTest,
) -> None:
    issuer = put.platform.tokens
    assert issuer is not None
    caller = TokenPrincipal(object_id=put.admin.object_id, client_id=put.admin.client_id)
    good = issuer.issue_for_endpoint(caller, SCORING).token
    verify_endpoint_token(issuer, good, SCORING)
    for elsewhere in (
        "https://attacker.example/endpoints/ep1/score",
        "http://127.0.0.1:9999/endpoints/ep1/score",
    ):
        forged = issuer.issue_for_endpoint(caller, elsewhere).token
        with pytest.raises(AuthenticationError):
            verify_endpoint_token(issuer, forged, SCORING)
    with pytest.raises(AuthenticationError):
        verify_endpoint_token(issuer, issuer.issue_for_endpoint(caller, OTHER).token, SCORING)
    storage = issuer.issue(caller, "https://storage.azure.com").token
    with pytest.raises(AuthenticationError):
        verify_endpoint_token(issuer, storage, SCORING)
