"""The one place where exceptions become HTTP responses: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from basin.errors import AuthenticationError, BasinError, ValidationError

__all__ = ["install_error_handlers"]

logger = logging.getLogger("basin.server")


def _response(error: BasinError) -> JSONResponse:
    headers = {}
    if isinstance(error, AuthenticationError):
        # Basic too: pip and uv answer a Basic challenge with the index credentials they hold.
        headers["WWW-Authenticate"] = 'Bearer realm="basin", Basic realm="basin"'
    return JSONResponse(error.to_body(), status_code=error.status, headers=headers)


def _describe(error: dict[str, object]) -> str:
    loc = [str(p) for p in error.get("loc", ())]  # type: ignore[attr-defined]
    where = ".".join(loc[1:] if loc and loc[0] in ("body", "query", "path") else loc)
    if error.get("type") == "extra_forbidden":
        return f"'{where}' is not a known field"
    if error.get("type") == "missing":
        return f"'{where}' is required"
    return f"'{where}': {error.get('msg')}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BasinError)
    async def _basin(_request: Request, exc: BasinError) -> JSONResponse:
        return _response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message = "Invalid request: " + "; ".join(_describe(e) for e in exc.errors()) + "."
        return _response(ValidationError(message))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HttpError")
        message = "No such API route." if exc.status_code == 404 else str(exc.detail)
        body = {"error": {"code": code, "message": message}}
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the log only; it may hold values a caller must not see.
        logger.exception("Unhandled error in %s %s", request.method, request.url.path)
        body = {"error": {"code": "InternalError", "message": "An internal error occurred."}}
        return JSONResponse(body, status_code=500)
