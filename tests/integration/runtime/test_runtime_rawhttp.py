"""@rawhttp scripts get the request object and may answer with their own AMLResponse."""

from __future__ import annotations

import pytest

SCRIPT = """
    import json

    from azureml_inference_server_http.api.aml_request import AMLRequest, rawhttp
    from azureml_inference_server_http.api.aml_response import AMLResponse

    def init():
        pass

    @rawhttp
    def run(request):
        if request.method == "GET":
            info = {
                "args": request.args.to_dict(flat=False),
                "full_path": request.full_path,
                "path": request.path,
                "url": request.url,
            }
            return AMLResponse(info, 200, json_str=True)
        if request.method == "OPTIONS":
            return AMLResponse("", 204)
        if request.files:
            upload = request.files["image"]
            meta = {"name": upload.filename, "size": len(upload.read()), "form": request.form.to_dict()}
            return AMLResponse(meta, 200, json_str=True)
        body = request.get_data()
        if body == b"fail":
            return AMLResponse("bad", 503, {"X-Multi": "1, 2"})
        if body == b"plain":
            return {"kind": "dict"}
        if request.is_json:
            return AMLResponse({"echo": request.get_json()}, 200, json_str=True)
        headers = {"Content-Type": "text/plain", "X-Seen": request.headers.get("X-Custom", "")}
        return AMLResponse(body, 418, headers)
"""

OLD_IMPORTS = SCRIPT.replace(
    "from azureml_inference_server_http.api.aml_request import",
    "from azureml.contrib.services.aml_request import",
).replace(
    "from azureml_inference_server_http.api.aml_response import",
    "from azureml.contrib.services.aml_response import",
)


@pytest.fixture(scope="module", params=["new imports", "old imports"])
def runtime(serve_module, request):
    return serve_module(SCRIPT if request.param == "new imports" else OLD_IMPORTS)


def test_custom_status_headers_and_body(runtime) -> None:
    response = runtime.client.post(
        "/score", content=b"hello", headers={"X-Custom": "cv", "content-type": "text/plain"}
    )
    assert response.status_code == 418
    assert response.content == b"hello"
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["x-seen"] == "cv"
    assert response.headers["x-ms-run-function-failed"] == "False"
    assert "x-ms-run-fn-exec-ms" in response.headers


def test_server_error_status_marks_the_run_as_failed(runtime) -> None:
    response = runtime.client.post("/score", content=b"fail")
    assert response.status_code == 503
    assert response.headers["x-ms-run-function-failed"] == "True"
    assert response.headers.get_list("x-multi") == ["1", "2"]  # a comma value is split


def test_plain_results_and_json_bodies(runtime) -> None:
    assert runtime.client.post("/score", content=b"plain").json() == {"kind": "dict"}
    assert runtime.client.post("/score", json={"a": [1]}).json() == {"echo": {"a": [1]}}


def test_get_sees_the_query(runtime) -> None:
    response = runtime.client.get("/score?a=1&a=2&b=x")
    assert response.json() == {
        "args": {"a": ["1", "2"], "b": ["x"]},
        "full_path": "/score?a=1&a=2&b=x",
        "path": "/score",
        "url": f"{runtime.url}/score?a=1&a=2&b=x",
    }


def test_options_goes_to_run(runtime) -> None:
    response = runtime.client.options("/score")
    assert response.status_code == 204
    assert response.content == b""


def test_multipart_upload(runtime) -> None:
    payload = bytes(range(256)) * 4
    response = runtime.client.post(
        "/score", files={"image": ("cat.png", payload, "image/png")}, data={"k": "v"}
    )
    assert response.json() == {"name": "cat.png", "size": 1024, "form": {"k": "v"}}
