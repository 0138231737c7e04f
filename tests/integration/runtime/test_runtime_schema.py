"""inference-schema decorators: argument parsing from JSON keys and the swagger documents."""

from __future__ import annotations

import pytest

from tests.integration.runtime.conftest import base_env

SCRIPT = """
    import numpy as np
    from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
    from inference_schema.parameter_types.standard_py_parameter_type import (
        StandardPythonParameterType,
    )
    from inference_schema.schema_decorators import input_schema, output_schema

    def init():
        pass

    @input_schema("data", NumpyParameterType(np.array([[1.0, 2.0, 3.0]])))
    @input_schema("scale", StandardPythonParameterType(1.0))
    @output_schema(StandardPythonParameterType([6.0]))
    def run(data, scale=2.0):
        assert isinstance(data, np.ndarray), type(data)
        return (data.sum(axis=1) * scale).tolist()
"""


@pytest.fixture(scope="module")
def runtime(serve_module):
    return serve_module(SCRIPT, env=base_env(SERVICE_NAME="probe-svc", SERVICE_VERSION="7"))


def test_json_keys_become_numpy_arguments(runtime) -> None:
    response = runtime.client.post("/score", json={"data": [[1, 2, 3], [4, 5, 6]]})
    assert response.status_code == 200
    assert response.json() == [12.0, 30.0]  # the default scale=2.0 applies

    response = runtime.client.post("/score", json={"data": [[1, 2, 3]], "scale": 3})
    assert response.json() == [18.0]


def test_get_query_parameters_are_arguments(runtime) -> None:
    response = runtime.client.get("/score", params={"data": "[[1,2,3]]", "scale": "1"})
    assert response.status_code == 200
    assert response.json() == [6.0]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (
            '{"scale": 1}',
            "application/json",
            400,
            "A value is not provided for the 'data' parameter.",
        ),
        ("[1]", "application/json", 400, "POST body should be a JSON dictionary."),
        ("", "application/json", 400, "POST body is empty. Expecting a JSON dictionary."),
        ("not json", "application/json", 400, "POST body could not be decoded as JSON: "),
        ('{"data": [[1]]}', "text/plain", 415, "Expects Content-Type to be application/json"),
    ],
)
def test_bad_bodies(runtime, body: str, content_type: str, status: int, message: str) -> None:
    response = runtime.client.post("/score", content=body, headers={"content-type": content_type})
    assert response.status_code == status
    assert response.json()["message"].startswith(message)
    assert response.headers["x-ms-run-function-failed"] == "False"


def test_swagger_v2_has_the_schemas(runtime) -> None:
    doc = runtime.client.get("/swagger.json").json()
    assert doc["swagger"] == "2.0"
    assert doc["info"]["title"] == "probe-svc"
    assert doc["info"]["version"] == "7"
    service_input = doc["definitions"]["ServiceInput"]
    assert service_input["properties"]["data"]["format"] == "numpy.ndarray"
    assert service_input["example"]["data"] == [[1.0, 2.0, 3.0]]
    assert doc["definitions"]["ServiceOutput"]["example"] == [6.0]
    assert set(doc["paths"]) == {"/", "/score", "/swagger.json"}
    assert doc["paths"]["/score"]["post"]["operationId"] == "RunMLService"
    assert runtime.client.get("/swagger.json", params={"version": "2.0"}).json() == doc


@pytest.mark.parametrize(
    ("version", "openapi"), [("3", "3.0.3"), ("3.0", "3.0.3"), ("3.1", "3.1.0")]
)
def test_swagger_v3(runtime, version: str, openapi: str) -> None:
    response = runtime.client.get("/swagger.json", params={"version": version})
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"] == openapi
    schemas = doc["components"]["schemas"]
    assert schemas["ServiceInput"]["properties"]["scale"]["type"] == "number"
    assert schemas["ErrorResponse"] == {
        "type": "object",
        "properties": {"message": {"type": "string"}},
    }
    assert doc["components"]["securitySchemes"]["Bearer"]["in"] == "header"


def test_unknown_swagger_version_is_404(runtime) -> None:
    response = runtime.client.get("/swagger.json", params={"version": "4"})
    assert response.status_code == 404
    assert response.json() == {
        "message": "Swagger version [4] is not valid. Supported versions: [2, 3, 3.1]."
    }
