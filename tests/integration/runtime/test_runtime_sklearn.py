"""A scikit-learn model in the Azure ML sample style: joblib file under AZUREML_MODEL_DIR."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import Ridge

SCRIPT = """
    import json
    import os

    import joblib
    import numpy as np

    model = None

    def init():
        global model
        model_path = os.path.join(
            os.getenv("AZUREML_MODEL_DIR"), "model/sklearn_regression_model.pkl"
        )
        model = joblib.load(model_path)
        print("model loaded from", model_path)

    def run(raw_data):
        data = np.array(json.loads(raw_data)["data"])
        result = model.predict(data)
        return result.tolist()
"""


def _train(model_root: Path) -> Ridge:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 10))
    y = x @ np.arange(1.0, 11.0) + 3.0
    model = Ridge(alpha=0.5).fit(x, y)
    (model_root / "model").mkdir(parents=True)
    joblib.dump(model, model_root / "model" / "sklearn_regression_model.pkl")
    return model


def test_predictions_match_the_trained_model(serve, tmp_path: Path) -> None:
    model = _train(tmp_path / "models")
    rows = [[0.1 * i for i in range(10)], [1.0] * 10, [-2.0] * 10]

    runtime = serve(SCRIPT, "--model_dir", str(tmp_path / "models"))
    response = runtime.client.post("/score", json={"data": rows})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert np.allclose(response.json(), model.predict(np.array(rows)))
    assert response.headers["x-ms-run-function-failed"] == "False"
    float(response.headers["x-ms-run-fn-exec-ms"])  # a number
    output = runtime.output()
    assert "azmlinfsrv.print - model loaded from" in output
    assert "sklearn_regression_model.pkl" in output


def test_dashed_flags_and_numpy_results(serve, tmp_path: Path) -> None:
    model = _train(tmp_path / "models")
    numpy_script = SCRIPT.replace("return result.tolist()", "return result")

    runtime = serve(numpy_script, "--model-dir", str(tmp_path / "models"))
    response = runtime.client.post("/score", json={"data": [[1.0] * 10]})

    assert response.status_code == 200  # an ndarray result becomes a JSON list
    assert np.allclose(response.json(), model.predict(np.array([[1.0] * 10])))
