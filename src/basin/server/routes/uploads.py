"""``…/workspaces/{workspace}/uploads/{hash}``: content-addressed uploads into the datastore."""

from __future__ import annotations

import tempfile
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from basin.errors import NotFoundError, PayloadTooLargeError
from basin.server.routes._common import WORKSPACE, platform_for, workspace_for
from basin.services import datastores

router = APIRouter()

ONE = WORKSPACE + "/uploads/{upload_hash}"
#: Bigger uploads spill from memory to a temporary file.
_SPOOL_BYTES = 8 << 20
MAX_UPLOAD_BYTES = 20 << 30


@router.get(ONE)
def show_upload(
    request: Request, subscription_id: str, group: str, workspace: str, upload_hash: str
) -> dict[str, Any]:
    ws = workspace_for(request, subscription_id, group, workspace)
    if not datastores.upload_exists(platform_for(request, subscription_id), ws, upload_hash):
        raise NotFoundError(f"No completed upload has the hash {upload_hash}.")
    return {"hash": upload_hash}


@router.put(ONE, status_code=201)
async def upload(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    upload_hash: str,
    name: str,
    folder: bool = True,
) -> dict[str, Any]:
    """The body is an uncompressed tar of the file or folder's members."""
    ws = await run_in_threadpool(workspace_for, request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise PayloadTooLargeError(
                    f"An upload may be at most {MAX_UPLOAD_BYTES >> 30} GiB."
                )
            spool.write(chunk)
        spool.seek(0)
        uri = await run_in_threadpool(
            datastores.upload_tar,
            platform,
            ws,
            spool,
            name=name,
            is_folder=folder,
            expected_hash=upload_hash,
        )
    return {"path": uri, "hash": upload_hash}
