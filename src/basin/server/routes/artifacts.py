"""``GET /basin/artifacts/{name}``: what a compute node lacks, sent as a tar (see services/artifacts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from basin.archive import tar_path
from basin.compute.models import ARTIFACT_KEY_HEADER
from basin.errors import AuthorizationError, NotFoundError

public_router = APIRouter()


@public_router.get("/basin/artifacts/{name}")
def artifact(request: Request, name: str) -> StreamingResponse:
    client = request.client.host if request.client else None
    if not request.app.state.network_policy.is_private(client):
        raise AuthorizationError(
            "Artifacts are sent only to this machine and the server's trusted networks."
        )
    serving = request.app.state.serving
    shelf = getattr(serving, "artifacts", None)
    path = shelf.get(name, request.headers.get(ARTIFACT_KEY_HEADER)) if shelf is not None else None
    if path is None or not path.exists():
        # The same answer for a wrong key and an unknown name: nothing to probe with.
        raise NotFoundError(f"No artifact '{name}' for this key.")
    return StreamingResponse(tar_path(path), media_type="application/x-tar")
