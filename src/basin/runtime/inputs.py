"""Turn one HTTP request into the keyword arguments of ``run()`` (azmlinfsrv's input parsers)."""

from __future__ import annotations

import inspect
import json
from typing import Any

from basin.runtime.amlrequest import AMLRequest, is_json_mimetype, title_case_headers
from basin.runtime.datastructures import query_pairs
from basin.runtime.userscript import InputMode, UserScript

__all__ = [
    "BadInput",
    "InputError",
    "ScoreRequest",
    "UnsupportedInput",
    "UnsupportedMethod",
    "build_arguments",
    "parse_query",
]


class InputError(Exception):
    """The request cannot be turned into ``run()`` arguments."""

    status = 400


class BadInput(InputError):
    status = 400


class UnsupportedInput(InputError):
    status = 415


class UnsupportedMethod(InputError):
    status = 405


class ScoreRequest:
    """What the runtime read of one ``/score`` request."""

    __slots__ = ("body", "mimetype", "scope")

    def __init__(self, scope: dict[str, Any], body: bytes, mimetype: str) -> None:
        self.scope = scope
        self.body = body
        self.mimetype = mimetype


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def parse_query(query_string: bytes) -> dict[str, Any]:
    """Query parameters as if they were a JSON body: values JSON-decoded when possible,
    repeated keys as lists (``?a=1&b=[1,2]&c=x&c=y`` -> ``{"a": 1, "b": [1, 2], "c": ["x", "y"]}``).
    """
    grouped: dict[str, list[str]] = {}
    for key, value in query_pairs(query_string):
        grouped.setdefault(key, []).append(value)
    return {
        key: _json_or_text(values[0]) if len(values) == 1 else [_json_or_text(v) for v in values]
        for key, values in grouped.items()
    }


def _schema_arguments(params: list[inspect.Parameter], body: dict[str, Any]) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    for param in params:
        value = body.get(param.name, param.default)
        if value is inspect.Parameter.empty:
            raise BadInput(f"A value is not provided for the {param.name!r} parameter.")
        arguments[param.name] = value
    return arguments


def _json_body(request: ScoreRequest) -> dict[str, Any]:
    if not is_json_mimetype(request.mimetype):
        raise UnsupportedInput("Expects Content-Type to be application/json")
    body = request.body
    try:
        value = json.loads(body)
    except ValueError as ex:
        # A body that is not UTF-8 is the client's error too (400; azmlinfsrv answers 500).
        if body:
            raise BadInput(f"POST body could not be decoded as JSON: {ex}") from None
        raise BadInput("POST body is empty. Expecting a JSON dictionary.") from None
    if not isinstance(value, dict):
        raise BadInput("POST body should be a JSON dictionary.")
    return value


def build_arguments(script: UserScript, request: ScoreRequest) -> dict[str, Any]:
    """The keyword arguments for ``script.run``; raises an ``InputError`` subclass."""
    method = request.scope["method"]
    arguments: dict[str, Any]
    if script.mode is InputMode.RAW:
        arguments = {script.data_param: AMLRequest(request.scope, request.body)}
    elif method == "POST":
        if script.mode is InputMode.STRING:
            try:
                arguments = {script.data_param: request.body.decode("utf-8")}
            except UnicodeDecodeError as ex:
                raise BadInput(f"Input cannot be decoded as UTF-8: {ex}") from None
        else:
            arguments = _schema_arguments(script.params, _json_body(request))
    elif method == "GET":
        query = parse_query(request.scope.get("query_string", b""))
        if script.mode is InputMode.STRING:
            arguments = {script.data_param: json.dumps(query)}
        else:
            arguments = _schema_arguments(script.params, query)
    else:
        raise UnsupportedMethod("Method not allowed")
    if script.wants_headers:
        arguments["request_headers"] = title_case_headers(request.scope["headers"])
    return arguments
