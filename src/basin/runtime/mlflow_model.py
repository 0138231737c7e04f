"""Serving an MLflow model without a scoring script (Azure ML's "no-code deployment").

basin generates a two-line scoring script that calls :func:`scoring_functions`; the replica runs
it like any other. As Azure ML's own MLflow scoring script does, the model's ``MLmodel`` gives a
sample input (the saved input example, else one made from the signature) that decorates
``run`` with inference-schema types, so ``/swagger.json`` describes the model's signature; the
model is loaded with ``mlflow.pyfunc.load_model`` (whatever the flavor saved: pickle, cloudpickle,
skops); requests carry ``{"input_data": ..., "params": ...}`` where ``input_data`` is

- a pandas DataFrame in split orientation (``columns``, ``data``, optionally ``index``),
- a list (a tensor: a numpy array), or
- a mapping of names to lists (named tensors),

and answers are the predictions as JSON (DataFrames as records). Deliberate differences from
Azure ML (which answers 500 to both): an ``input_data`` that cannot be read, or that does not
match the model's signature, is a 400 that says why.

Only the standard library is imported until :func:`scoring_functions` runs (it needs mlflow,
numpy and inference-schema, which the model's environment has).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable

__all__ = ["model_path_from_env", "scoring_functions"]

logger = logging.getLogger("azmlinfsrv.mlflow")

#: MlflowException's code for input that does not fit the model (schema enforcement).
_INVALID = "INVALID_PARAMETER_VALUE"
_SHAPES = (
    'send {"input_data": {"columns": [...], "index": [...], "data": [[...]]}} (a DataFrame in '
    'split orientation), {"input_data": [[...]]} (a tensor) or {"input_data": {"<name>": [...]}} '
    "(named tensors)"
)


def model_path_from_env(environ: dict[str, str] | None = None) -> str:
    """The model folder: ``$AZUREML_MODEL_DIR/$MLFLOW_MODEL_FOLDER`` (as Azure ML sets them)."""
    env = os.environ if environ is None else environ
    return os.path.join(env.get("AZUREML_MODEL_DIR", "."), env.get("MLFLOW_MODEL_FOLDER", ""))


def scoring_functions(
    model_path: str | None = None,
) -> tuple[Callable[[], None], Callable[..., Any]]:
    """``(init, run)`` for the MLflow model at ``model_path`` (default: from the environment)."""
    from inference_schema.schema_decorators import input_schema, output_schema
    from mlflow.models import Model
    from mlflow.pyfunc import load_model

    path = model_path or model_path_from_env()
    meta = Model.load(path)
    signature = meta.signature
    sample = _saved_example(meta, path)
    if sample is None and signature is not None and signature.inputs is not None:
        sample = _sample(signature.inputs)
    output_sample = _sample(signature.outputs) if signature and signature.outputs else None
    params_sample = _params_sample(getattr(signature, "params", None))
    input_type = _parameter_type(sample, "split")
    output_type = _parameter_type(output_sample, "records")
    params_type = _parameter_type(params_sample, "split")
    logger.info(f"Loading the MLflow model at {path}")
    model = load_model(path)

    _state.update(model=model, takes_params=_takes_params(model.predict))

    # run() must not be a closure: inference-schema finds the decorated function by walking
    # closures, so everything it uses is module state.
    @input_schema("input_data", input_type, convert_to_provided_type=False)  # type: ignore[untyped-decorator]
    @input_schema("params", params_type, convert_to_provided_type=False, optional=True)  # type: ignore[untyped-decorator]
    @output_schema(output_type)  # type: ignore[untyped-decorator]
    def run(input_data: Any, params: Any = None) -> Any:
        return _predict(input_data, params)

    def init() -> None:
        logger.info(f"Serving the MLflow model at {path} ({', '.join(meta.flavors)})")

    return init, run


_state: dict[str, Any] = {}


def _predict(input_data: Any, params: Any) -> Any:
    import numpy as np

    try:
        data = _model_input(input_data, np)
    except Exception as ex:  # any shape the readers refuse
        return _bad_request(f"input_data could not be read ({type(ex).__name__}: {ex}); {_SHAPES}.")
    model = _state["model"]
    try:
        if _state["takes_params"] and params:
            result = model.predict(data, params=params)
        else:
            result = model.predict(data)
    except Exception as ex:
        if getattr(ex, "error_code", None) == _INVALID:
            return _bad_request(f"The input does not match the model's signature: {ex}")
        raise
    return _jsonable(result, np)


# -- samples: what decorates run() (and so what /swagger.json shows) --------------------------


def _saved_example(meta: Any, path: str) -> Any:
    """The model's saved input example as a DataFrame or array, if it has a usable one."""
    info = getattr(meta, "saved_input_example_info", None)
    if not info:
        return None
    try:
        with open(os.path.join(path, info["artifact_path"])) as handle:
            loaded = json.load(handle)
        if info.get("type") == "dataframe":
            import pandas as pd

            orient = "split" if "columns" in loaded else "values"
            return pd.read_json(_as_file(loaded), orient=orient, dtype=False)
        if info.get("type") == "ndarray":
            import numpy as np

            inputs = loaded["inputs"]
            if isinstance(inputs, dict):
                return {name: np.asarray(value) for name, value in inputs.items()}
            return np.asarray(inputs)
    except Exception as ex:  # the signature is the fallback, as on Azure ML
        logger.warning(f"The model's input example could not be read ({ex}); using its signature")
    return None


def _as_file(value: Any) -> Any:
    import io

    return io.StringIO(json.dumps(value))


def _sample(schema: Any) -> Any:
    """An empty value shaped like ``schema``: arrays for tensors, a typed DataFrame for columns."""
    import numpy as np

    if schema.is_tensor_spec():

        def zeros(spec: Any) -> Any:
            shape = list(spec.shape or ())
            if shape and shape[0] == -1:
                shape[0] = 1  # a batch of one
            return np.zeros(tuple(max(d, 1) for d in shape), dtype=spec.type)

        if schema.has_input_names():
            return {spec.name: zeros(spec) for spec in schema.inputs}
        return zeros(schema.inputs[0])
    import pandas as pd

    names = schema.input_names()
    if not all(isinstance(name, str) for name in names):
        return None
    return pd.DataFrame(columns=names).astype(dict(zip(names, schema.pandas_types())))


def _params_sample(params: Any) -> Any:
    if params is None:
        return None
    return {param.name: param.default for param in params.params} or None


def _parameter_type(sample: Any, orient: str) -> Any:
    from inference_schema.parameter_types.abstract_parameter_type import AbstractParameterType
    from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
    from inference_schema.parameter_types.standard_py_parameter_type import (
        StandardPythonParameterType,
    )

    class _NoSample(AbstractParameterType):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(None)

        def deserialize_input(self, input_data: Any) -> Any:
            return input_data

        def input_to_swagger(self) -> dict[str, Any]:
            return {"type": "object", "example": {}}

    import numpy as np

    if sample is None:
        return _NoSample()
    if isinstance(sample, np.ndarray):
        return NumpyParameterType(sample, enforce_shape=False)
    if isinstance(sample, dict):
        if all(isinstance(value, np.ndarray) for value in sample.values()):
            return StandardPythonParameterType(
                {k: NumpyParameterType(v, enforce_shape=False) for k, v in sample.items()}
            )
        return StandardPythonParameterType(sample)
    from inference_schema.parameter_types.pandas_parameter_type import PandasParameterType

    return PandasParameterType(sample, enforce_shape=False, orient=orient)


# -- a request's input_data -> what model.predict takes ----------------------------------------


def _model_input(raw: Any, np: Any) -> Any:
    if isinstance(raw, str):
        raw = json.loads(raw)
    if isinstance(raw, dict) and "input_data" in raw:
        raw = raw["input_data"]  # sent wrapped twice: Azure ML's script unwraps it too
    if isinstance(raw, list):
        return np.asarray(raw)
    if isinstance(raw, dict) and "columns" in raw and "data" in raw:
        import pandas as pd

        frame = pd.read_json(_as_file(raw), orient="split", dtype=False)
        return frame
    if isinstance(raw, dict):
        return {name: np.asarray(value) for name, value in raw.items()}
    raise ValueError(f"a {type(raw).__name__} is none of the accepted shapes")


def _takes_params(predict: Callable[..., Any]) -> bool:
    import inspect

    try:
        return "params" in inspect.signature(predict).parameters
    except (TypeError, ValueError):
        return False


def _jsonable(result: Any, np: Any) -> Any:
    """Predictions as JSON values: arrays as lists, DataFrames as records (as Azure ML)."""
    try:
        import pandas as pd
    except ImportError:  # a tensor-only environment
        pd = None
    if pd is not None and isinstance(result, pd.DataFrame):
        return json.loads(result.to_json(orient="records"))
    if pd is not None and isinstance(result, pd.Series):
        return json.loads(result.to_json(orient="values"))
    if isinstance(result, np.ndarray):
        return result.tolist()
    if isinstance(result, dict):
        return {k: _jsonable(v, np) for k, v in result.items()}
    if isinstance(result, (list, tuple)):
        return [_jsonable(v, np) for v in result]
    if isinstance(result, np.generic):
        return result.item()
    return result


def _bad_request(message: str) -> Any:
    from basin.runtime.amlresponse import AMLResponse

    return AMLResponse({"message": message}, 400, json_str=True)
