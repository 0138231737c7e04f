"""A scoring script written for Azure ML, unchanged: init() replaces every environment variable
whose name contains KV_SECRET and whose value reads <secret name>@<vault URL> by that secret,
read with SecretClient and the endpoint's managed identity (ManagedIdentityCredential with
MSI_ENDPOINT/MSI_SECRET), as the Key Vault example of Azure ML's online endpoints does; run()
multiplies its input by the secret."""

import json
import os

from azure.identity import ManagedIdentityCredential
from azure.keyvault.secrets import SecretClient

multiplier = None


def load_secrets():
    credential = ManagedIdentityCredential()
    clients = {}
    for name, value in list(os.environ.items()):
        if "KV_SECRET" not in name:
            continue
        secret_name, separator, vault_url = value.partition("@")
        if not separator:
            raise ValueError(f"{name} must look like <secret name>@<vault URL>, not {value!r}")
        if vault_url not in clients:
            clients[vault_url] = SecretClient(vault_url=vault_url, credential=credential)
        os.environ[name] = clients[vault_url].get_secret(secret_name).value


def init():
    global multiplier
    load_secrets()
    multiplier = int(os.environ["KV_SECRET_MULTIPLIER"])
    print("Secrets loaded from the key vault")


def run(raw_data):
    data = json.loads(raw_data)
    return {"output": data["input"] * multiplier}
