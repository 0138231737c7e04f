"""AMLRequest / AMLResponse / Headers behave like the Flask objects scripts expect."""

from __future__ import annotations

import pytest

from basin.runtime.amlrequest import AMLRequest, BadRequest, UnsupportedMediaType
from basin.runtime.amlresponse import AMLResponse
from basin.runtime.datastructures import Headers, MultiDict


def _request(
    body: bytes = b"", ctype: str | None = None, query: bytes = b"", **extra
) -> AMLRequest:
    headers = [(b"host", b"example.org:8080"), (b"x-custom", b"v1"), (b"x-custom", b"v2")]
    if ctype:
        headers.append((b"content-type", ctype.encode()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/score",
        "query_string": query,
        "headers": headers,
        "scheme": "http",
        "client": ("10.0.0.1", 5555),
        **extra,
    }
    return AMLRequest(scope, body)


def test_addressing() -> None:
    request = _request(query=b"a=1&a=2&b=")
    assert request.method == "POST"
    assert request.path == "/score"
    assert request.full_path == "/score?a=1&a=2&b="
    assert request.url == "http://example.org:8080/score?a=1&a=2&b="
    assert request.base_url == "http://example.org:8080/score"
    assert request.host_url == "http://example.org:8080/"
    assert request.remote_addr == "10.0.0.1"
    assert request.args["a"] == "1"
    assert request.args.getlist("a") == ["1", "2"]
    assert request.args.to_dict(flat=False) == {"a": ["1", "2"], "b": [""]}
    assert request.args.get("missing", "d") == "d"
    assert _request().full_path == "/score?"  # Flask keeps the "?"
    assert repr(request).startswith("<AMLRequest 'http://example.org:8080/score")


def test_headers_are_case_insensitive_and_joined() -> None:
    request = _request(ctype="application/json")
    assert request.headers["X-CUSTOM"] == "v1,v2"
    assert request.headers.get("content-type") == "application/json"
    assert "Host" in request.headers
    assert dict(request.headers)["X-Custom"] == "v1,v2"
    assert ("Host", "example.org:8080") in list(request.headers)
    with pytest.raises(KeyError):
        request.headers["absent"]


def test_body_accessors() -> None:
    request = _request(b'{"a": [1]}', "application/json; charset=utf-8")
    assert request.get_data() == b'{"a": [1]}'
    assert request.get_data(as_text=True) == '{"a": [1]}'
    assert request.data == b'{"a": [1]}'
    assert request.is_json
    assert request.mimetype == "application/json"
    assert request.mimetype_params == {"charset": "utf-8"}
    assert request.json == {"a": [1]}
    assert request.get_json() == {"a": [1]}
    assert request.stream.read() == b'{"a": [1]}'


def test_json_errors_like_flask() -> None:
    text = _request(b'{"a": 1}', "text/plain")
    with pytest.raises(UnsupportedMediaType):
        text.get_json()
    assert text.get_json(silent=True) is None
    assert text.get_json(force=True) == {"a": 1}
    broken = _request(b"{", "application/json")
    with pytest.raises(BadRequest):
        _ = broken.json
    assert broken.get_json(silent=True) is None


def test_forms_and_files() -> None:
    form = _request(b"a=1&b=x+y", "application/x-www-form-urlencoded")
    assert form.form.to_dict() == {"a": "1", "b": "x y"}
    assert form.data == b""  # Flask moves form bodies out of .data
    assert form.get_data() == b"a=1&b=x+y"
    assert form.values.to_dict() == {"a": "1", "b": "x y"}

    boundary = "XyZ"
    payload = bytes(range(256))
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    multi = _request(body, f"multipart/form-data; boundary={boundary}")
    assert multi.form["field"] == "value"
    upload = multi.files["image"]
    assert upload.filename == "a.bin"
    assert upload.content_type == "application/octet-stream"
    assert upload.read() == payload


def test_response_defaults_like_azmlinfsrv() -> None:
    text = AMLResponse("hello", 201)
    assert text.status_code == 201
    assert text.get_data() == b"hello"
    assert text.headers["Content-Type"] == "text/html; charset=utf-8"
    assert text.headers["x-ms-run-function-failed"] == "False"

    as_json = AMLResponse({"a": 1}, 200, json_str=True)
    assert as_json.get_data() == b'{"a": 1}'
    assert as_json.mimetype == "application/json"
    assert as_json.json == {"a": 1}

    empty = AMLResponse(None, 204)
    assert empty.get_data() == b"{}"

    custom = AMLResponse(b"\x89PNG", 200, {"Content-Type": "image/png", "X-A": "1, 2"}, False, True)
    assert custom.headers.getlist("Content-Type") == ["image/png"]
    assert custom.headers.getlist("X-A") == ["1", "2"]
    assert custom.headers["x-ms-run-function-failed"] == "True"
    assert custom.status == "200 OK"


def test_response_is_mutable_like_flask() -> None:
    response = AMLResponse("a", 200)
    response.headers["X-Late"] = "yes"
    response.set_data("changed")
    response.status_code = 202
    assert response.data == b"changed"
    assert response.headers["x-late"] == "yes"
    with pytest.raises(ValueError):
        response.headers["X-Bad"] = "a\r\nInjected: 1"


def test_containers() -> None:
    headers = Headers([("A", "1"), ("a", "2"), ("B", "3")])
    assert headers.getlist("A") == ["1", "2"]
    headers.set("a", "9")
    assert headers.items() == [("a", "9"), ("B", "3")]
    assert headers.pop("b") == "3"
    multi = MultiDict([("k", 1), ("k", 2)])
    assert multi["k"] == 1
    assert multi.items(multi=True) == [("k", 1), ("k", 2)]
    assert multi.get("k", type=str) == "1"
