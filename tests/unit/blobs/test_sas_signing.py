"""basin's container SAS signs exactly what azure-storage-blob signs, and its blob service
takes it (the control plane makes SAS without importing the Azure SDK)."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from azure.storage.blob import generate_container_sas

from basin.blobs import sas

KEY = base64.b64encode(os.urandom(64)).decode()


def test_the_signature_is_azure_storage_blobs() -> None:
    expiry = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    ours = parse_qs(sas.container_sas("acct1", "data", KEY, permission="racwl", expiry=expiry))
    theirs = parse_qs(
        generate_container_sas(
            "acct1", "data", account_key=KEY, permission="racwl", expiry=expiry, protocol="https"
        )
    )
    assert ours["sr"] == ["c"] and ours["sp"] == ["racwl"] and ours["spr"] == ["https"]
    assert ours["se"] == theirs["se"]
    # the SDK writes its own (newer) version; signed with it, the signatures agree
    fields = {k: v[0] for k, v in theirs.items()}
    text = sas.service_string_to_sign(fields, "/blob/acct1/data", fields["sv"])
    assert sas.sign(base64.b64decode(KEY), text) == theirs["sig"][0]
    own = {k: v[0] for k, v in ours.items()}
    text = sas.service_string_to_sign(own, "/blob/acct1/data", sas.SAS_VERSION)
    assert sas.sign(base64.b64decode(KEY), text) == own["sig"]
    assert sas.sign(base64.b64decode(KEY), text.replace("data", "other")) != own["sig"]


def test_the_expiry_is_written_in_utc() -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    query = parse_qs(sas.container_sas("a", "c", KEY, permission="r", expiry=later))
    assert query["se"][0] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
