"""How a request becomes run()'s arguments (undecorated, @input_schema, @rawhttp)."""

from __future__ import annotations

import inspect
import types

import pytest

from basin.runtime.amlrequest import AMLRequest
from basin.runtime.inputs import (
    BadInput,
    ScoreRequest,
    UnsupportedInput,
    UnsupportedMethod,
    build_arguments,
    parse_query,
)
from basin.runtime.userscript import InputMode, UserScript


def _script(mode: InputMode, run, wants_headers: bool = False) -> UserScript:
    params = [p for p in inspect.signature(run).parameters.values() if p.name != "request_headers"]
    return UserScript(
        path="score.py",
        module=types.ModuleType("m"),
        init=lambda: None,
        run=run,
        mode=mode,
        data_param=params[0].name,
        params=params,
        wants_headers=wants_headers,
    )


def _request(method: str, body: bytes = b"", query: bytes = b"", ctype: str = "") -> ScoreRequest:
    headers = [(b"content-type", ctype.encode())] if ctype else []
    scope = {
        "type": "http",
        "method": method,
        "path": "/score",
        "query_string": query,
        "headers": [(b"host", b"h"), (b"x-ms-thing", b"1"), *headers],
    }
    return ScoreRequest(scope, body, ctype.split(";")[0])


def test_parse_query_like_azmlinfsrv() -> None:
    assert parse_query(b"a=1&b=[1,2]&c=x&c=y&d=null&e=") == {
        "a": 1,
        "b": [1, 2],
        "c": ["x", "y"],
        "d": None,
        "e": "",
    }


def test_undecorated_run_gets_text() -> None:
    script = _script(InputMode.STRING, lambda data: data)
    assert build_arguments(script, _request("POST", b'{"a": 1}')) == {"data": '{"a": 1}'}
    assert build_arguments(script, _request("GET", query=b"a=1")) == {"data": '{"a": 1}'}
    with pytest.raises(BadInput, match="Input cannot be decoded as UTF-8"):
        build_arguments(script, _request("POST", b"\xff"))
    with pytest.raises(UnsupportedMethod):
        build_arguments(script, _request("OPTIONS"))


def test_request_headers_are_title_cased() -> None:
    script = _script(InputMode.STRING, lambda data, request_headers: data, wants_headers=True)
    arguments = build_arguments(script, _request("POST", b"x", ctype="text/plain"))
    assert arguments["request_headers"] == {
        "Host": "h",
        "X-Ms-Thing": "1",
        "Content-Type": "text/plain",
    }


def test_schema_run_gets_one_argument_per_key() -> None:
    def run(data, scale=2):
        return data

    script = _script(InputMode.SCHEMA, run)
    body = b'{"data": [1], "other": 3}'
    assert build_arguments(script, _request("POST", body, ctype="application/json")) == {
        "data": [1],
        "scale": 2,
    }
    vendor = _request("POST", b'{"data": 1}', ctype="application/vnd.api+json")
    assert build_arguments(script, vendor) == {"data": 1, "scale": 2}
    assert build_arguments(script, _request("GET", query=b"data=5&scale=1")) == {
        "data": 5,
        "scale": 1,
    }
    with pytest.raises(UnsupportedInput):
        build_arguments(script, _request("POST", body, ctype="text/plain"))
    with pytest.raises(BadInput, match=r"A value is not provided for the 'data' parameter\."):
        build_arguments(script, _request("POST", b'{"scale": 1}', ctype="application/json"))


def test_raw_run_gets_the_request() -> None:
    script = _script(InputMode.RAW, lambda request: request)
    arguments = build_arguments(script, _request("PUT", b"abc"))
    assert isinstance(arguments["request"], AMLRequest)
    assert arguments["request"].get_data() == b"abc"
