import json
import logging
import os


def init():
    global weights
    # AZUREML_MODEL_DIR is the model's folder (./azureml-models/$MODEL_NAME/$VERSION)
    path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/weights.json")
    with open(path) as handle:
        weights = json.load(handle)
    logging.info("Init complete, label %s", os.getenv("LABEL"))


def run(raw_data):
    data = json.loads(raw_data)["data"]
    scale = weights["scale"] * float(os.getenv("SCALE", "1"))
    return {"deployment": os.getenv("LABEL"), "result": [sum(row) * scale for row in data]}
