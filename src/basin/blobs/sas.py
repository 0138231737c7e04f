"""Service shared access signatures (container and blob SAS), as Azure Storage signs them.

The blob service verifies them (``server/blob/_auth.py``) and the control plane makes them
(a datastore's ``listSecrets``, a code upload's pending upload) with the same string to sign,
without importing the Azure SDK into the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

__all__ = [
    "ENCRYPTION_SCOPE_VERSION",
    "OVERRIDES",
    "SAS_VERSION",
    "container_sas",
    "service_string_to_sign",
    "sign",
]

#: The SAS version basin writes (any version since 2018-11-09 verifies).
SAS_VERSION = "2021-08-06"
#: From this version on the string to sign carries the encryption scope (``ses``).
ENCRYPTION_SCOPE_VERSION = "2020-12-06"
#: Response header overrides a SAS may carry, in signing order.
OVERRIDES = ("rscc", "rscd", "rsce", "rscl", "rsct")


def service_string_to_sign(query: Mapping[str, str], canonical_resource: str, version: str) -> str:
    """What a service SAS signs: its fields in Azure's order, ``canonical_resource`` being
    ``/blob/{account}/{container}[/{blob}]``."""
    fields = [query.get("sp", ""), query.get("st", ""), query.get("se", ""), canonical_resource]
    fields += [query.get("si", ""), query.get("sip", ""), query.get("spr", ""), version]
    fields += [query.get("sr", ""), ""]  # the snapshot time: basin signs no snapshot SAS
    if version >= ENCRYPTION_SCOPE_VERSION:
        fields.append(query.get("ses", ""))
    fields += [query.get(name, "") for name in OVERRIDES]
    return "\n".join(fields)


def sign(key: bytes, text: str) -> str:
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def container_sas(
    account: str,
    container: str,
    account_key: str,
    *,
    permission: str,
    expiry: datetime,
    protocol: str = "https",
) -> str:
    """A container SAS query string (no leading ``?``) signed with a base64 account key."""
    query = {
        "sv": SAS_VERSION,
        "se": _stamp(expiry),
        "sr": "c",
        "sp": permission,
        "spr": protocol,
    }
    text = service_string_to_sign(query, f"/blob/{account}/{container}", SAS_VERSION)
    query["sig"] = sign(base64.b64decode(account_key), text)
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in query.items())
