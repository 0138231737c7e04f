"""Handlers of account- and container-level operations."""

from __future__ import annotations

from basin.blobs import Conditions
from basin.server.blob import _xml
from basin.server.blob._reply import (
    MAX_RESULTS,
    Context,
    Reply,
    endpoint,
    max_results_from,
    run,
    stamp_headers,
)
from basin.server.blob._wire import BlobRequest, conditions_from, metadata_from, metadata_headers
from basin.server.blob.errors import WireError

_XML = ("Content-Type", "application/xml")


def _date_conditions(request: BlobRequest) -> Conditions:
    # Containers honour only the date conditions, as in Azure.
    full = conditions_from(request)
    return Conditions(
        if_modified_since=full.if_modified_since, if_unmodified_since=full.if_unmodified_since
    )


async def list_containers(ctx: Context, request: BlobRequest) -> Reply:
    prefix = request.query.get("prefix", "")
    marker = request.query.get("marker", "")
    asked = max_results_from(request)
    page = await run(
        ctx.store.list_containers, request.account, prefix, marker or None,
        min(asked or MAX_RESULTS, MAX_RESULTS),
    )  # fmt: skip
    include_metadata = "metadata" in request.query.get("include", "").split(",")
    body = _xml.container_list(endpoint(request), page, prefix, marker, asked, include_metadata)
    return Reply(200, [_XML], body)


async def create_container(ctx: Context, request: BlobRequest) -> Reply:
    assert request.container is not None
    if request.header("x-ms-blob-public-access"):
        raise WireError(
            409, "PublicAccessNotPermitted", "Public access is not permitted on this account."
        )
    props = await run(
        ctx.store.create_container, request.account, request.container, metadata_from(request)
    )
    return Reply(201, stamp_headers(props.etag, props.last_modified))


async def delete_container(ctx: Context, request: BlobRequest) -> Reply:
    assert request.container is not None
    await run(
        ctx.store.delete_container, request.account, request.container, _date_conditions(request)
    )
    return Reply(202)


async def get_container_properties(ctx: Context, request: BlobRequest) -> Reply:
    assert request.container is not None
    props = await run(ctx.store.get_container, request.account, request.container)
    headers = stamp_headers(props.etag, props.last_modified) + metadata_headers(props.metadata)
    headers += [
        ("x-ms-lease-status", "unlocked"),
        ("x-ms-lease-state", "available"),
        ("x-ms-has-immutability-policy", "false"),
        ("x-ms-has-legal-hold", "false"),
        ("x-ms-default-encryption-scope", "$account-encryption-key"),
        ("x-ms-deny-encryption-scope-override", "false"),
    ]
    return Reply(200, headers)


async def set_container_metadata(ctx: Context, request: BlobRequest) -> Reply:
    assert request.container is not None
    props = await run(
        ctx.store.set_container_metadata, request.account, request.container,
        metadata_from(request), _date_conditions(request),
    )  # fmt: skip
    return Reply(200, stamp_headers(props.etag, props.last_modified))


async def list_blobs(ctx: Context, request: BlobRequest) -> Reply:
    assert request.container is not None
    prefix = request.query.get("prefix", "")
    marker = request.query.get("marker", "")
    delimiter = request.query.get("delimiter") or None
    asked = max_results_from(request)
    page = await run(
        ctx.store.list_blobs, request.account, request.container, prefix, delimiter,
        marker or None, min(asked or MAX_RESULTS, MAX_RESULTS),
    )  # fmt: skip
    include_metadata = "metadata" in request.query.get("include", "").split(",")
    body = _xml.blob_list(
        endpoint(request), request.container, page, prefix, marker, asked, delimiter,
        include_metadata,
    )  # fmt: skip
    return Reply(200, [_XML], body)
