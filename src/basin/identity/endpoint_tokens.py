"""Tokens of ``aml_token`` endpoints: issued for one endpoint, checked by the gateway.

An endpoint token's audience is the endpoint's scoring URI (``…/endpoints/<name>/score``).
The general token service refuses such audiences, so only the endpoint's own get-credentials
call (which needs rights on the endpoint) can mint one.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from pathlib import Path

import jwt

from basin.errors import AuthenticationError
from basin.identity.keyring import KeyRing
from basin.identity.tokens import TokenIssuer

__all__ = ["is_endpoint_audience", "verifier_from_environment", "verify_endpoint_token"]

_AUDIENCE = re.compile(r"^https?://[^/]+/endpoints/(?P<name>[^/]+)/score$")


def is_endpoint_audience(audience: str) -> bool:
    return _AUDIENCE.match(audience.rstrip("/")) is not None


def verify_endpoint_token(issuer: TokenIssuer, token: str, endpoint_name: str) -> None:
    """Accept a basin-signed, unexpired token whose audience is this endpoint's scoring URI."""
    try:
        audience = str(jwt.decode(token, options={"verify_signature": False}).get("aud", ""))
    except jwt.PyJWTError:
        raise AuthenticationError("The token is not a JWT.") from None
    match = _AUDIENCE.match(audience)
    if match is None or match["name"] != endpoint_name:
        raise AuthenticationError(f"The token is not for endpoint '{endpoint_name}'.")
    issuer.verify(token, audience)


@functools.cache
def _issuer(keys: str, tenant: str) -> TokenIssuer:
    return TokenIssuer(KeyRing(Path(keys)), tenant_id=tenant)


def verifier_from_environment(endpoint_name: str) -> Callable[[str], None]:
    """For ``python -m basin.gateway --token-verifier-factory``: the key ring and tenant come
    from ``BASIN_KEYRING_DIR`` and ``BASIN_TENANT_ID``."""
    issuer = _issuer(os.environ["BASIN_KEYRING_DIR"], os.environ["BASIN_TENANT_ID"])

    def verify(token: str) -> None:
        verify_endpoint_token(issuer, token, endpoint_name)

    return verify
