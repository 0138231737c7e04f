"""Make the Azure ML import paths of ``AMLRequest``/``AMLResponse``/``rawhttp`` resolve.

Scripts import ``azureml_inference_server_http.api.aml_request`` / ``.aml_response`` or the older
``azureml.contrib.services.aml_request`` / ``.aml_response``. When the real
``azureml-inference-server-http`` package is installed (0.8 or newer: the ``api`` package came
then) its modules are used (and the old names point at them, as azmlinfsrv does); otherwise
basin's own modules are registered under those names.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from basin.runtime import amlrequest, amlresponse

__all__ = ["install_shims", "raw_http_flags", "reset_raw_http_flags"]

_REAL = "azureml_inference_server_http"
_REAL_REQUEST = f"{_REAL}.api.aml_request"
_REAL_RESPONSE = f"{_REAL}.api.aml_response"
_OLD_REQUEST = "azureml.contrib.services.aml_request"
_OLD_RESPONSE = "azureml.contrib.services.aml_response"


def _find(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _package(name: str) -> types.ModuleType:
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name, "Provided by the basin scoring runtime.")
        module.__path__ = []
        sys.modules[name] = module
    return module


def _register(name: str, module: types.ModuleType) -> None:
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(_package(parent), child, module)


def install_shims() -> bool:
    """Register the module names; returns whether the real Azure package is used."""
    # azmlinfsrv before 0.8 (azureml-defaults 1.38 brings 0.4) has no ``api`` package and its
    # modules import its server folder as top-level names: only the newer layout is used.
    real = _find(f"{_REAL}.api")
    if real:
        request_module = importlib.import_module(_REAL_REQUEST)
        response_module = importlib.import_module(_REAL_RESPONSE)
    else:
        request_module, response_module = amlrequest, amlresponse
        _package(_REAL)
        _package(f"{_REAL}.api")
        _register(_REAL_REQUEST, request_module)
        _register(_REAL_RESPONSE, response_module)
    if _find("azureml"):
        # An installed azureml namespace: a full-name entry in sys.modules is enough for
        # ``from azureml.contrib.services.aml_request import ...``.
        sys.modules[_OLD_REQUEST] = request_module
        sys.modules[_OLD_RESPONSE] = response_module
    else:
        _package("azureml")
        _package("azureml.contrib")
        _package("azureml.contrib.services")
        _register(_OLD_REQUEST, request_module)
        _register(_OLD_RESPONSE, response_module)
    return real


def _request_modules() -> list[types.ModuleType]:
    modules = [amlrequest]
    real = sys.modules.get(_REAL_REQUEST)
    if real is not None and real is not amlrequest:
        modules.append(real)
    return modules


def reset_raw_http_flags() -> None:
    for module in _request_modules():
        setattr(module, "_rawHttpRequested", False)  # noqa: B010


def raw_http_flags() -> bool:
    """Whether a script imported since the last reset applied ``@rawhttp``."""
    return any(getattr(module, "_rawHttpRequested", False) for module in _request_modules())
