"""A scoring script written for Azure ML, unchanged: in init() it reads one blob twice through the
endpoint's managed identity, at the storage account's Azure URL
(https://{STORAGE_ACCOUNT_NAME}.blob.core.windows.net), once by REST with a token from
MSI_ENDPOINT/MSI_SECRET and once with BlobClient and ManagedIdentityCredential, as the managed
identity how-to of the Azure ML docs does; then it serves a scikit-learn model. UAI_CLIENT_ID,
when set, picks a user-assigned identity."""

import json
import os

import joblib
import requests
from azure.identity import ManagedIdentityCredential
from azure.storage.blob import BlobClient


def read_blob_rest():
    account = os.environ["STORAGE_ACCOUNT_NAME"]
    container = os.environ["STORAGE_CONTAINER_NAME"]
    file_name = os.environ["FILE_NAME"]
    query = "resource=https://storage.azure.com/"
    if os.environ.get("UAI_CLIENT_ID"):
        query = f"clientid={os.environ['UAI_CLIENT_ID']}&{query}"
    answer = requests.get(
        f"{os.environ['MSI_ENDPOINT']}?{query}",
        headers={"secret": os.environ["MSI_SECRET"], "Metadata": "true"},
    )
    answer.raise_for_status()
    token = answer.json()["access_token"]
    blob = requests.get(
        f"https://{account}.blob.core.windows.net/{container}/{file_name}?api-version=2019-04-01",
        headers={"Authorization": f"Bearer {token}", "x-ms-version": "2019-02-02"},
    )
    blob.raise_for_status()
    return blob.text


def read_blob_sdk():
    blob = BlobClient(
        account_url=f"https://{os.environ['STORAGE_ACCOUNT_NAME']}.blob.core.windows.net/",
        container_name=os.environ["STORAGE_CONTAINER_NAME"],
        blob_name=os.environ["FILE_NAME"],
        credential=ManagedIdentityCredential(client_id=os.getenv("UAI_CLIENT_ID")),
    )
    return blob.download_blob().content_as_text()


def init():
    global model
    # print() goes to the deployment log, as with Azure ML's inference server.
    print(f"Read from storage by REST: {read_blob_rest()}")
    print(f"Read from storage with BlobClient: {read_blob_sdk()}")
    model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/sklearn_regression_model.pkl")
    model = joblib.load(model_path)
    print("Init complete")


def run(raw_data):
    data = json.loads(raw_data)["data"]
    result = model.predict(data)
    return result.tolist()
