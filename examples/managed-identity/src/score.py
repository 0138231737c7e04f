"""A scoring script written for Azure ML, unchanged: it reads a blob through the endpoint's
managed identity in init() and serves a scikit-learn model."""

import json
import os

import joblib
from azure.identity import ManagedIdentityCredential
from azure.storage.blob import BlobClient


def init():
    global model
    credential = ManagedIdentityCredential(client_id=os.getenv("UAI_CLIENT_ID"))
    blob = BlobClient(
        account_url=os.environ["STORAGE_ACCOUNT_URL"],
        container_name=os.environ["STORAGE_CONTAINER"],
        blob_name=os.environ["STORAGE_BLOB"],
        credential=credential,
    )
    text = blob.download_blob().readall().decode()
    # print() goes to the deployment log, as with Azure ML's inference server.
    print(f"Read from storage through the managed identity: {text}")
    model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/sklearn_regression_model.pkl")
    model = joblib.load(model_path)
    print("Init complete")


def run(raw_data):
    data = json.loads(raw_data)["data"]
    result = model.predict(data)
    return result.tolist()
