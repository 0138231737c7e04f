"""Tokens of ``aml_token`` endpoints: issued for one endpoint, checked by the gateway.

An endpoint token's audience is the endpoint's scoring URI (``…/endpoints/<name>/score``).
``TokenIssuer.issue`` refuses such audiences (the token service and the MSI endpoint go through
it), so only the endpoint's own get-credentials call (``issue_for_endpoint``, which needs rights
on the endpoint) can mint one. The gateway accepts a token only when its audience is exactly the
scoring URI of the endpoint called: same scheme, host, port and path.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

from basin.identity.audiences import is_endpoint_audience
from basin.identity.keyring import KeyRing
from basin.identity.tokens import TokenIssuer

__all__ = ["is_endpoint_audience", "verifier_from_environment", "verify_endpoint_token"]


def verify_endpoint_token(issuer: TokenIssuer, token: str, scoring_uri: str) -> None:
    """Accept a basin-signed, unexpired token whose audience is this scoring URI;
    AuthenticationError otherwise."""
    issuer.verify(token, scoring_uri)


@functools.cache
def _issuer(keys: str, tenant: str) -> TokenIssuer:
    return TokenIssuer(KeyRing(Path(keys)), tenant_id=tenant)


def verifier_from_environment(scoring_uri: str) -> Callable[[str], None]:
    """For ``python -m basin.gateway --token-verifier-factory``: a check for the endpoint whose
    scoring URI is given; the key ring and tenant come from ``BASIN_KEYRING_DIR`` and
    ``BASIN_TENANT_ID``."""
    issuer = _issuer(os.environ["BASIN_KEYRING_DIR"], os.environ["BASIN_TENANT_ID"])

    def verify(token: str) -> None:
        verify_endpoint_token(issuer, token, scoring_uri)

    return verify
