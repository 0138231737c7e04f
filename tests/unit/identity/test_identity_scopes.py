"""Scope coverage: an assignment reaches its scope and everything below it, by whole segments."""

from __future__ import annotations

import pytest

from basin.identity import blob_scope, container_scope, normalize_scope, scope_covers

SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"
RG = f"{SUB}/resourceGroups/rg"
ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/acct"


@pytest.mark.parametrize(
    ("scope", "resource_id", "expected"),
    [
        (RG, RG, True),
        (RG, f"{RG}/providers/Microsoft.Storage/storageAccounts/acct", True),
        (SUB, f"{RG}/providers/Microsoft.Storage/storageAccounts/acct", True),
        # the prefix trap: rg is not a prefix of rg2 by segments
        (RG, f"{SUB}/resourceGroups/rg2", False),
        (RG, f"{SUB}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/acct", False),
        (
            f"{ACCOUNT}/blobServices/default/containers/c1",
            f"{ACCOUNT}/blobServices/default/containers/c10",
            False,
        ),
        # a child never covers its parent
        (ACCOUNT, RG, False),
        # case and trailing slashes do not matter
        (RG.upper(), f"{RG.lower()}/providers/x/y/z", True),
        (f"{RG}/", RG, True),
        (RG, f"{RG}/", True),
        (f"{SUB}//resourceGroups//rg", RG, True),
        # the root scope covers everything; an empty scope covers nothing
        ("/", ACCOUNT, True),
        ("", ACCOUNT, False),
        ("   ", ACCOUNT, False),
        # another subscription
        ("/subscriptions/other", RG, False),
    ],
)
def test_scope_covers(scope: str, resource_id: str, expected: bool) -> None:
    assert scope_covers(scope, resource_id) is expected


def test_normalize_scope() -> None:
    assert normalize_scope(f"{RG.upper()}/") == RG.lower()
    assert normalize_scope("") == "/"
    assert normalize_scope("subscriptions/x") == "/subscriptions/x"


def test_container_and_blob_scopes_nest_under_the_account() -> None:
    container = container_scope(ACCOUNT + "/", "models")
    blob = blob_scope(ACCOUNT, "models", "/v1/model.pkl")
    assert container == f"{ACCOUNT}/blobServices/default/containers/models"
    assert blob == f"{container}/blobs/v1/model.pkl"
    assert scope_covers(ACCOUNT, container)
    assert scope_covers(container, blob)
    assert not scope_covers(container_scope(ACCOUNT, "model"), blob)
