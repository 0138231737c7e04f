"""The ``/swagger.json`` documents (Swagger 2.0, OpenAPI 3.0.3 and 3.1.0), built once at start.

Same document shape as azmlinfsrv: the service's three routes, ``ServiceInput``/``ServiceOutput``
from inference-schema when ``run()`` is decorated (``{"type": "object", "example": {}}``
otherwise) and ``ErrorResponse``. A ``swagger.json`` (v2 only), ``swagger2.json``,
``swagger3.json`` or ``swagger3.1.json`` file in ``AML_APP_ROOT`` is served instead, as is.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from basin.runtime.encoding import dumps

__all__ = ["SwaggerDocs", "SwaggerError"]

logger = logging.getLogger("azmlinfsrv.swagger")

# version -> the aliases a client may ask for; inference-schema names versions "2.0", "3.0", "3.1".
_VERSIONS: dict[str, tuple[str, ...]] = {"2": ("2", "2.0"), "3": ("3", "3.0"), "3.1": ("3.1",)}
_ALL_ALIASES = frozenset(alias for aliases in _VERSIONS.values() for alias in aliases)
_ERROR_RESPONSE = {"type": "object", "properties": {"message": {"type": "string"}}}
_FAILED = "The service failed to execute due to an error."
_HEALTH_OK = (
    "If service is up and running, this response will be returned with the content 'Healthy'"
)
_SCORE_OK = (
    "The service processed the input correctly and provided a result prediction, if applicable."
)
_PAYLOAD = "The input payload for executing the real-time machine learning service."


class SwaggerError(Exception):
    """Unknown version, or a version the script's schema cannot be expressed in."""


def _v2(title: str, version: str, prefix: str, inp: Any, out: Any) -> dict[str, Any]:
    error_ref = {"description": _FAILED, "schema": {"$ref": "#/definitions/ErrorResponse"}}
    return {
        "swagger": "2.0",
        "info": _info(title, version),
        "schemes": ["https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "securityDefinitions": {"Bearer": _bearer()},
        "paths": {
            f"{prefix}/": {
                "get": {
                    "operationId": "ServiceHealthCheck",
                    "description": _health_description(),
                    "responses": {
                        "200": {
                            "description": _HEALTH_OK,
                            "schema": {"type": "string"},
                            "examples": {"application/json": "Healthy"},
                        },
                        "default": error_ref,
                    },
                }
            },
            f"{prefix}/score": {
                "post": {
                    "operationId": "RunMLService",
                    "description": "Run web service's model and get the prediction output",
                    "security": [{"Bearer": []}],
                    "parameters": [
                        {
                            "name": "serviceInputPayload",
                            "in": "body",
                            "description": _PAYLOAD,
                            "schema": {"$ref": "#/definitions/ServiceInput"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": _SCORE_OK,
                            "schema": {"$ref": "#/definitions/ServiceOutput"},
                        },
                        "default": error_ref,
                    },
                }
            },
            f"{prefix}/swagger.json": {
                "get": {
                    "operationId": "GetSwaggerSpec",
                    "description": "Get the Swagger specification.",
                    "parameters": [
                        {
                            "name": "version",
                            "in": "query",
                            "required": False,
                            "type": "integer",
                            "enum": [2, 3],
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The Swagger specification.",
                            "schema": {"type": "string"},
                        },
                        "default": error_ref,
                    },
                }
            },
        },
        "definitions": {
            "ServiceInput": inp,
            "ServiceOutput": out,
            "ErrorResponse": _ERROR_RESPONSE,
        },
    }


def _v3(title: str, version: str, prefix: str, inp: Any, out: Any, openapi: str) -> dict[str, Any]:
    def content(media: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {media: {"schema": schema}}

    error_ref = {
        "description": _FAILED,
        "content": content("application/json", {"$ref": "#/components/schemas/ErrorResponse"}),
    }
    return {
        "openapi": openapi,
        "info": _info(title, version),
        "security": [{"Bearer": []}],
        "paths": {
            f"{prefix}/": {
                "get": {
                    "operationId": "ServiceHealthCheck",
                    "description": _health_description(),
                    "responses": {
                        "200": {
                            "description": _HEALTH_OK,
                            "content": content(
                                "text/plain", {"type": "string", "example": "Healthy"}
                            ),
                        },
                        "default": error_ref,
                    },
                }
            },
            f"{prefix}/score": {
                "post": {
                    "operationId": "RunMLService",
                    "description": "Run web service's model and get the prediction output",
                    "security": [{"Bearer": []}],
                    "requestBody": {
                        "description": _PAYLOAD,
                        "content": content(
                            "application/json", {"$ref": "#/components/schemas/ServiceInput"}
                        ),
                    },
                    "responses": {
                        "200": {
                            "description": _SCORE_OK,
                            "content": content(
                                "application/json", {"$ref": "#/components/schemas/ServiceOutput"}
                            ),
                        },
                        "default": error_ref,
                    },
                }
            },
            f"{prefix}/swagger.json": {
                "get": {
                    "operationId": "GetSwaggerSpec",
                    "description": "Get the Swagger specification.",
                    "parameters": [
                        {
                            "name": "version",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "enum": [2, 3]},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The Swagger specification.",
                            "content": content("text/plain", {"type": "string"}),
                        },
                        "default": error_ref,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "ServiceInput": inp,
                "ServiceOutput": out,
                "ErrorResponse": _ERROR_RESPONSE,
            },
            "securitySchemes": {"Bearer": _bearer()},
        },
    }


def _info(title: str, version: str) -> dict[str, str]:
    return {
        "title": title,
        "description": f"API specification for the Azure Machine Learning service {title}",
        "version": version,
    }


def _bearer() -> dict[str, str]:
    return {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": "For example: Bearer abc123",
    }


def _health_description() -> str:
    return "Simple health check endpoint to ensure the service is up at any given point."


def _schemas(run: Callable[..., Any]) -> tuple[Any, Any, list[str]]:
    """(input schema, output schema, supported versions) for ``run``."""
    empty = {"type": "object", "example": {}}
    util = sys.modules.get("inference_schema.schema_util")
    if util is None:
        return empty, empty, ["2.0", "3.0", "3.1"]
    versions = list(util.get_supported_versions(run))
    if util.is_schema_decorated(run):
        return util.get_input_schema(run), util.get_output_schema(run), versions
    return empty, empty, versions


class SwaggerDocs:
    """The serialised documents per requested version alias."""

    def __init__(
        self,
        run: Callable[..., Any],
        app_root: str,
        service_name: str = "ML service",
        service_version: str = "1.0",
        path_prefix: str = "",
    ) -> None:
        prefix = f"/{path_prefix.strip('/')}" if path_prefix else ""
        inp, out, script_versions = _schemas(run)
        self._docs: dict[str, bytes] = {}
        self.supported: list[str] = []
        for version, aliases in _VERSIONS.items():
            doc = _user_file(app_root, version)
            if doc is None and any(alias in script_versions for alias in aliases):
                if version == "2":
                    doc = _v2(service_name, service_version, prefix, inp, out)
                else:
                    openapi = "3.0.3" if version == "3" else "3.1.0"
                    doc = _v3(service_name, service_version, prefix, inp, out, openapi)
            if doc is not None:
                body = dumps(doc)
                self.supported.append(version)
                for alias in aliases:
                    self._docs[alias] = body
        skipped = [v for v in _VERSIONS if v not in self.supported]
        if self.supported and skipped:
            logger.info(
                f"Swaggers are prepared for versions [{', '.join(self.supported)}] "
                f"and skipped for versions [{', '.join(skipped)}]."
            )
        elif self.supported:
            logger.info(
                f"Swaggers are prepared for the following versions: [{', '.join(self.supported)}]."
            )
        else:
            logger.info("No swagger is prepared.")

    def get(self, version: str) -> bytes:
        """The document for ``version`` (``"2"`` when the query gives none); raises SwaggerError."""
        supported = ", ".join(self.supported)
        if version not in _ALL_ALIASES:
            raise SwaggerError(
                f"Swagger version [{version}] is not valid. Supported versions: [{supported}]."
            )
        body = self._docs.get(version)
        if body is None:
            raise SwaggerError(
                f"Swagger version [{version}] is not supported for the scoring script. "
                f"Supported swagger versions: [{supported}]."
            )
        return body


def _user_file(app_root: str, version: str) -> Any:
    names = ["swagger.json", "swagger2.json"] if version == "2" else [f"swagger{version}.json"]
    for name in names:
        path = os.path.join(app_root, name)
        try:
            with open(path, encoding="utf-8") as handle:
                doc = json.load(handle)
        except FileNotFoundError:
            continue
        logger.info(f"Loaded user's swagger file for version [{version}] from {path}")
        return doc
    return None
