"""Benchmark scoring script in the Azure ML sample style: a scikit-learn model saved with joblib."""

import json
import os

import joblib
import numpy as np

model = None


def init():
    global model
    path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/sklearn_regression_model.pkl")
    model = joblib.load(path)


def run(raw_data):
    data = np.array(json.loads(raw_data)["data"])
    return model.predict(data).tolist()
