import json
import os
import ssl
import urllib.request


def init():
    # Read a blob with the endpoint's user-assigned identity (MSI_ENDPOINT / MSI_SECRET).
    global greeting
    query = (
        "api-version=2017-09-01&resource=https://storage.azure.com/&clientid="
        + os.environ["UAI_CLIENT_ID"]
    )
    request = urllib.request.Request(
        os.environ["MSI_ENDPOINT"] + "?" + query, headers={"secret": os.environ["MSI_SECRET"]}
    )
    token = json.load(urllib.request.urlopen(request))["access_token"]
    url = (
        os.environ["STORAGE_BLOB_ENDPOINT"]
        + os.environ["STORAGE_CONTAINER_NAME"]
        + "/"
        + os.environ["FILE_NAME"]
    )
    blob = urllib.request.Request(
        url, headers={"Authorization": "Bearer " + token, "x-ms-version": "2021-08-06"}
    )
    context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE"))
    greeting = urllib.request.urlopen(blob, context=context).read().decode()
    print("Read from storage: " + greeting.strip())


def run(raw_data):
    return {"greeting": greeting}
