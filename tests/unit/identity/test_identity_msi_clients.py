"""The stock azure-identity ManagedIdentityCredential (sync and async) against the MSI protocol.

A throwaway HTTP server on a loopback port answers with basin.identity.answer_msi_request, the
function the real route wraps; the credential is configured the way a replica is, through
MSI_ENDPOINT and MSI_SECRET.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import AsyncioRequestsTransport
from azure.identity import ManagedIdentityCredential
from azure.identity.aio import ManagedIdentityCredential as AsyncManagedIdentityCredential

from basin.identity import (
    EndpointIdentities,
    ManagedIdentity,
    TokenIssuer,
    answer_msi_request,
    hash_msi_secret,
    new_msi_secret,
)

RG = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg"
SYSTEM = ManagedIdentity(
    client_id="5a5a5a5a-0000-0000-0000-000000000001",
    object_id="5b5b5b5b-0000-0000-0000-000000000001",
    resource_id=f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/ep",
    system_assigned=True,
)
UAI = ManagedIdentity(
    client_id="1a1a1a1a-0000-0000-0000-000000000001",
    object_id="1b1b1b1b-0000-0000-0000-000000000001",
    resource_id=f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scorer",
)
STORAGE_SCOPE = "https://storage.azure.com/.default"
# Other managed identity sources azure-identity would pick before Azure ML's.
OTHER_SOURCES = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IMDS_ENDPOINT", "AZURE_CLIENT_ID")


@dataclass
class MsiServer:
    url: str
    secret: str
    issuer: TokenIssuer
    queries: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def msi_server(issuer: TokenIssuer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MsiServer]:
    secret = new_msi_secret()
    stored = hash_msi_secret(secret)
    identities = EndpointIdentities("ep", SYSTEM, (UAI,))
    queries: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            pairs = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
            queries.append(dict(pairs))
            answer = answer_msi_request(
                pairs,
                self.headers.get("secret"),
                secret_hash=stored,
                identities=identities,
                issuer=issuer,
            )
            body = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/msi/token"
    for name in OTHER_SOURCES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MSI_ENDPOINT", url)
    monkeypatch.setenv("MSI_SECRET", secret)
    try:
        yield MsiServer(url, secret, issuer, queries)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def get_async_token(scope: str, **kwargs: Any) -> AccessToken:
    async def run() -> AccessToken:
        # AsyncioRequestsTransport: azure-core's async transport that needs no aiohttp
        async with AsyncManagedIdentityCredential(
            transport=AsyncioRequestsTransport(), **kwargs
        ) as credential:
            first: AccessToken = await credential.get_token(scope)
            second = await credential.get_token(scope)
            assert second.token == first.token  # served from the credential's cache
            return first

    return asyncio.run(run())


def test_sync_credential_gets_a_system_assigned_token(msi_server: MsiServer) -> None:
    token = ManagedIdentityCredential().get_token(STORAGE_SCOPE)
    claims = msi_server.issuer.verify(token.token, "https://storage.azure.com/")
    assert claims.object_id == SYSTEM.object_id
    assert claims.mi_resource_id == SYSTEM.resource_id
    assert token.expires_on == claims.expires_on
    assert msi_server.queries == [
        {"api-version": "2017-09-01", "resource": "https://storage.azure.com"}
    ]


def test_sync_credential_with_client_id(msi_server: MsiServer) -> None:
    token = ManagedIdentityCredential(client_id=UAI.client_id).get_token(STORAGE_SCOPE)
    assert (
        msi_server.issuer.verify(token.token, "https://storage.azure.com").object_id
        == UAI.object_id
    )
    assert msi_server.queries[0]["clientid"] == UAI.client_id


@pytest.mark.parametrize(
    ("key", "value"), [("object_id", UAI.object_id), ("resource_id", UAI.resource_id)]
)
def test_sync_credential_with_identity_config(msi_server: MsiServer, key: str, value: str) -> None:
    token = ManagedIdentityCredential(identity_config={key: value}).get_token(STORAGE_SCOPE)
    assert (
        msi_server.issuer.verify(token.token, "https://storage.azure.com").object_id
        == UAI.object_id
    )


def test_async_credential_gets_a_token_and_caches_it(msi_server: MsiServer) -> None:
    token = get_async_token(STORAGE_SCOPE, client_id=UAI.client_id)
    claims = msi_server.issuer.verify(token.token, "https://storage.azure.com")
    assert claims.object_id == UAI.object_id
    assert token.expires_on == claims.expires_on
    # the async credential caches under the response's "resource"; one request means it matched
    assert len(msi_server.queries) == 1


@pytest.mark.parametrize(
    ("key", "value"), [("object_id", UAI.object_id), ("resource_id", UAI.resource_id)]
)
def test_async_credential_with_identity_config(msi_server: MsiServer, key: str, value: str) -> None:
    token = get_async_token(STORAGE_SCOPE, identity_config={key: value})
    assert (
        msi_server.issuer.verify(token.token, "https://storage.azure.com").object_id
        == UAI.object_id
    )


def test_a_foreign_client_id_fails_with_our_explanation(msi_server: MsiServer) -> None:
    stranger = "9a9a9a9a-0000-0000-0000-000000000009"
    with pytest.raises(ClientAuthenticationError) as sync_error:
        ManagedIdentityCredential(client_id=stranger).get_token(STORAGE_SCOPE)
    with pytest.raises(ClientAuthenticationError) as async_error:
        get_async_token(STORAGE_SCOPE, client_id=stranger)
    for caught in (sync_error, async_error):
        assert "Identity not found" in str(caught.value)
        assert stranger in str(caught.value)


def test_a_wrong_secret_fails_without_echoing_it(
    msi_server: MsiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSI_SECRET", "not-the-replica-secret")
    with pytest.raises(ClientAuthenticationError) as caught:
        ManagedIdentityCredential().get_token(STORAGE_SCOPE)
    assert "MSI_SECRET" in str(caught.value)
    assert "not-the-replica-secret" not in str(caught.value)
    assert msi_server.secret not in str(caught.value)
