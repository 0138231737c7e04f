"""Loading scripts and classifying run() as azmlinfsrv does."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin.runtime.shims import install_shims
from basin.runtime.userscript import InputMode, ScriptError, load_script


def _load(tmp_path: Path, source: str):
    install_shims()
    path = tmp_path / "score.py"
    path.write_text(source)
    return load_script(str(path))


def test_modes(tmp_path: Path) -> None:
    plain = _load(tmp_path, "def init(): pass\ndef run(raw_data): return raw_data\n")
    assert plain.mode is InputMode.STRING and plain.data_param == "raw_data"
    assert not plain.wants_headers and not plain.is_async

    raw = _load(
        tmp_path,
        "from azureml.contrib.services.aml_request import rawhttp\n"
        "def init(): pass\n@rawhttp\ndef run(req, request_headers=None): return 1\n",
    )
    assert raw.mode is InputMode.RAW and raw.wants_headers

    schema = _load(
        tmp_path,
        "from inference_schema.schema_decorators import input_schema\n"
        "from inference_schema.parameter_types.standard_py_parameter_type import "
        "StandardPythonParameterType\n"
        "def init(): pass\n"
        "@input_schema('a', StandardPythonParameterType(1))\n"
        "async def run(a, b=2): return a\n",
    )
    assert schema.mode is InputMode.SCHEMA
    assert [p.name for p in schema.params] == ["a", "b"]
    assert schema.is_async


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def init(): pass\ndef run(*args): pass\n", "cannot accept positional-only"),
        ("def init(): pass\ndef run(**kw): pass\n", "cannot accept positional-only"),
        ("def init(): pass\ndef run(): pass\n", "needs to accept an argument for input data"),
        ("def init(): pass\ndef run(request_headers): pass\n", 'other than "request_headers"'),
        ("def run(d): pass\n", "does not have a init() function"),
        ("raise SystemExit(4)\n", "Failed to import user script"),
    ],
)
def test_bad_scripts(tmp_path: Path, source: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _load(tmp_path, source)


def test_rawhttp_and_schema_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="both @rawhttp and @input_schema"):
        _load(
            tmp_path,
            "from azureml_inference_server_http.api.aml_request import rawhttp\n"
            "from inference_schema.schema_decorators import input_schema\n"
            "from inference_schema.parameter_types.standard_py_parameter_type import "
            "StandardPythonParameterType\n"
            "def init(): pass\n"
            "@rawhttp\n@input_schema('a', StandardPythonParameterType(1))\n"
            "def run(a): return a\n",
        )


def test_driver_module_run_is_used(tmp_path: Path) -> None:
    (tmp_path / "real_score.py").write_text("def run(data):\n    return 'real'\n")
    script = _load(
        tmp_path,
        "import importlib.util, os\n"
        "spec = importlib.util.spec_from_file_location(\n"
        "    'real_score', os.path.join(os.path.dirname(__file__), 'real_score.py'))\n"
        "driver_module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(driver_module)\n"
        "def init(): pass\n"
        "def run(data): return 'driver'\n",
    )
    assert script.run("x") == "real"


def test_an_old_inference_server_package_gets_basins_modules(tmp_path: Path) -> None:
    """azureml-defaults 1.38 (Python 3.7/3.8 conda files) brings azureml-inference-server-http
    0.4, which has no ``api`` package: the runtime must not take it for the real, newer one."""
    import os
    import subprocess
    import sys

    old = tmp_path / "azureml_inference_server_http"
    (old / "server").mkdir(parents=True)
    (old / "__init__.py").write_text("")
    (old / "server" / "aml_blueprint.py").write_text("import aml_framework\n")
    code = (
        "from basin.runtime.shims import install_shims\n"
        "print(install_shims())\n"
        "from azureml.contrib.services.aml_request import AMLRequest, rawhttp\n"
        "from azureml_inference_server_http.api.aml_response import AMLResponse\n"
        "print(AMLResponse.__module__)\n"
    )
    src = Path(__file__).resolve().parents[3] / "src"
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(src)])}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "basin.runtime.amlresponse"]
