"""Swagger documents: versions, aliases, errors, user files, path prefix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from basin.runtime.swagger import SwaggerDocs, SwaggerError


def run(data):
    return data


def test_undecorated_script_gets_empty_object_schemas(tmp_path: Path) -> None:
    docs = SwaggerDocs(run, str(tmp_path), "svc", "3", path_prefix="/api/")
    assert docs.supported == ["2", "3", "3.1"]
    v2 = json.loads(docs.get("2"))
    assert v2["definitions"]["ServiceInput"] == {"type": "object", "example": {}}
    assert list(v2["paths"]) == ["/api/", "/api/score", "/api/swagger.json"]
    assert v2["info"] == {
        "title": "svc",
        "description": "API specification for the Azure Machine Learning service svc",
        "version": "3",
    }
    assert docs.get("2.0") == docs.get("2")
    assert json.loads(docs.get("3"))["openapi"] == "3.0.3"
    assert json.loads(docs.get("3.0"))["openapi"] == "3.0.3"
    assert json.loads(docs.get("3.1"))["openapi"] == "3.1.0"


@pytest.mark.parametrize("version", ["4", "", "v2", "3.2"])
def test_invalid_versions(tmp_path: Path, version: str) -> None:
    with pytest.raises(SwaggerError) as caught:
        SwaggerDocs(run, str(tmp_path)).get(version)
    assert str(caught.value) == (
        f"Swagger version [{version}] is not valid. Supported versions: [2, 3, 3.1]."
    )


def test_user_swagger_files_are_served_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "swagger.json").write_text('{"custom": 2}')
    (tmp_path / "swagger3.json").write_text('{"custom": 3}')
    docs = SwaggerDocs(run, str(tmp_path))
    assert json.loads(docs.get("2")) == {"custom": 2}
    assert json.loads(docs.get("3")) == {"custom": 3}
    assert json.loads(docs.get("3.1"))["openapi"] == "3.1.0"
