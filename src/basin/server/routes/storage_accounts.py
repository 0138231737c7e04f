"""``…/providers/Microsoft.Storage/storageAccounts[/{name}[/action]]``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.server.routes._common import GROUP, SUB, listing, platform_for
from basin.services import storage_accounts

router = APIRouter()

ACCOUNTS = "/providers/Microsoft.Storage/storageAccounts"
ONE = GROUP + ACCOUNTS + "/{name}"


@router.get(SUB + ACCOUNTS)
def list_all(request: Request, subscription_id: str) -> dict[str, Any]:
    return listing(storage_accounts.list_accounts(platform_for(request, subscription_id)))


@router.get(GROUP + ACCOUNTS)
def list_in_group(request: Request, subscription_id: str, group: str) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    return listing(storage_accounts.list_accounts(platform, group))


@router.put(ONE, status_code=201)
def create(
    request: Request, subscription_id: str, group: str, name: str, body: dict[str, Any] = Body({})
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    return storage_accounts.create(
        platform, group, name, body.get("tags"), body.get("location")
    ).to_dict()


@router.get(ONE)
def show(request: Request, subscription_id: str, group: str, name: str) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    return storage_accounts.get(platform, group, name).to_dict()


@router.delete(ONE)
def delete(request: Request, subscription_id: str, group: str, name: str) -> Response:
    storage_accounts.delete(platform_for(request, subscription_id), group, name)
    return Response(status_code=200)


@router.post(ONE + "/listKeys")
def list_keys(request: Request, subscription_id: str, group: str, name: str) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    account = storage_accounts.get(platform, group, name)
    assert account.id is not None
    return {"keys": storage_accounts.list_keys(platform, account.id)}


@router.post(ONE + "/regenerateKey")
def regenerate_key(
    request: Request, subscription_id: str, group: str, name: str, body: dict[str, Any] = Body()
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    account = storage_accounts.get(platform, group, name)
    assert account.id is not None
    return {"keys": storage_accounts.renew_key(platform, account.id, str(body.get("keyName")))}
