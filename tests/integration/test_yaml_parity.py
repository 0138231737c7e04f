"""Parity with the real Azure ML SDK v2: the same YAML files, loaded by azure-ai-ml and by basin.

"Your Azure ML YAML loads unchanged" is checked here against the real parser: every case is a
file as users write them (shapes from the Azure ML docs and samples, and examples/ in this repo),
loaded by azure-ai-ml's ``load_<kind>`` (pinned, in ``bench/.venvs/azure-ai-ml``; built from
PyPI on the first run; all files in one process) and by ``basin.load_<kind>``.

- ``SAME``: both load it, and basin's ``to_dict()`` (what it stores and sends) equals
  azure-ai-ml's ``_to_dict()`` field for field, after the normalisations in
  ``_normalise_azure`` and ``_prune`` (each says why it is sound).
- ``BOTH_REJECT``: azure-ai-ml refuses the file; basin refuses it too, naming the field and rule.
- ``BASIN_REFUSES``: azure-ai-ml loads it but basin refuses it on purpose (a feature basin does
  not have); the message must name the field and say why. ``reason`` says which difference.
- ``BASIN_ACCEPTS``: azure-ai-ml refuses it but basin loads it on purpose; ``reason`` says why
  and where basin refuses it later, if it does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

import basin
from basin.entities import Environment
from basin.errors import ValidationError
from basin.services import environments
from basin.testing.azureml_sdk import (
    KINDS,
    SdkResult,
    ensure_azure_ai_ml,
    load_with_azure_ai_ml,
)
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
SDK_VENV = ROOT / "bench" / ".venvs" / "azure-ai-ml"
EXAMPLES = ROOT / "examples" / "managed-identity"

SAME = "same"
BOTH_REJECT = "both reject"
BASIN_REFUSES = "basin refuses"
BASIN_ACCEPTS = "basin accepts"

RG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ml"
STORAGE = f"{RG}/providers/Microsoft.Storage/storageAccounts/mlwstorage01"
KEY_VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/mlw-kv-01"
REGISTRY = f"{RG}/providers/Microsoft.ContainerRegistry/registries/mlwacr01"
INSIGHTS = f"{RG}/providers/Microsoft.Insights/components/mlw-ai-01"
UAI = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/endpoint-identity"

CONDA = """\
name: model-env
channels:
  - conda-forge
dependencies:
  - python=3.11
  - numpy=1.26
  - pip
  - pip:
    - scikit-learn==1.5.2
    - joblib
"""
SCORE = "def init():\n    pass\n\n\ndef run(raw_data):\n    return raw_data\n"
MODEL_FOLDER = {"model/model.pkl": "not really a pickle\n", "model/README.md": "a model\n"}
MLFLOW_FOLDER = {
    "mlflow-model/MLmodel": "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n",
    "mlflow-model/model.pkl": "not really a pickle\n",
    "mlflow-model/conda.yaml": CONDA,
}


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    yaml: str
    files: Mapping[str, str] = field(default_factory=dict)
    outcome: str = SAME
    #: words basin's error must contain (the field, the rule), for the refusing outcomes
    error_words: tuple[str, ...] = ()
    #: why basin differs on purpose, for BASIN_REFUSES and BASIN_ACCEPTS
    reason: str = ""


CASES: list[Case] = [
    # --- workspaces --------------------------------------------------------------------------
    Case("workspace-minimal", "workspace", "name: mlw-basic\n"),
    Case(
        "workspace-described",
        "workspace",
        """\
$schema: https://azuremlschemas.azureedge.net/latest/workspace.schema.json
name: mlw-team
location: eastus
display_name: Team workspace
description: The team's workspace for models in production
tags:
  team: vision
  cost-center: "1234"
public_network_access: disabled
""",
    ),
    Case(
        "workspace-public-enabled",
        "workspace",
        "name: mlw-open\npublic_network_access: Enabled\n",
    ),
    Case(
        "workspace-existing-resources",
        "workspace",
        f"""\
name: mlw-bring-your-own
location: westeurope
storage_account: {STORAGE}
key_vault: {KEY_VAULT}
container_registry: {REGISTRY}
application_insights: {INSIGHTS}
""",
    ),
    Case(
        "workspace-customer-managed-key",
        "workspace",
        f"""\
name: mlw-cmk
location: eastus
customer_managed_key:
  key_vault: {KEY_VAULT}
  key_uri: https://mlw-kv-01.vault.azure.net/keys/mlw-key/0123456789abcdef0123456789abcdef
""",
    ),
    Case("workspace-hbi", "workspace", "name: mlw-hbi\nhbi_workspace: true\n"),
    Case(
        "workspace-identity-system",
        "workspace",
        "name: mlw-msi\nidentity:\n  type: system_assigned\n",
    ),
    Case(
        "workspace-bad-public-network-access",
        "workspace",
        "name: mlw-bad\npublic_network_access: sometimes\n",
        outcome=BOTH_REJECT,
        error_words=("public_network_access", "Enabled", "Disabled"),
    ),
    Case(
        "workspace-storage-not-an-arm-id",
        "workspace",
        "name: mlw-bad-storage\nstorage_account: mlwstorage01\n",
        outcome=BOTH_REJECT,
        error_words=("storage_account", "resource id"),
    ),
    Case(
        "workspace-no-name",
        "workspace",
        "description: no name\n",
        outcome=BOTH_REJECT,
        error_words=("name", "required"),
    ),
    Case(
        "workspace-managed-network",
        "workspace",
        "name: mlw-vnet\nmanaged_network:\n  isolation_mode: allow_internet_outbound\n",
        outcome=BASIN_REFUSES,
        error_words=("managed_network", "not a known field"),
        reason="basin has no virtual networks: the field is refused, with the known fields listed",
    ),
    Case(
        "workspace-cmk-key-uri-not-a-url",
        "workspace",
        f"name: mlw-cmk\ncustomer_managed_key:\n  key_vault: {KEY_VAULT}\n  key_uri: mlw-key\n",
        outcome=BOTH_REJECT,
        error_words=("customer_managed_key.key_uri", "URL"),
    ),
    Case(
        "workspace-tag-not-text",
        "workspace",
        "name: mlw-tags\ntags:\n  cost-center: 1234\n",
        outcome=BOTH_REJECT,
        error_words=("tags.cost-center", "string"),
    ),
    Case(
        "workspace-image-build-compute",
        "workspace",
        "name: mlw-compute\nimage_build_compute: cpu-cluster\n",
    ),
    # --- online endpoints --------------------------------------------------------------------
    Case(
        "endpoint-key",
        "online_endpoint",
        """\
$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json
name: my-endpoint
auth_mode: key
description: Scores the regression model
tags:
  owner: data-team
""",
    ),
    Case("endpoint-default-auth", "online_endpoint", "name: my-endpoint\n"),
    Case(
        "endpoint-aml-token",
        "online_endpoint",
        "name: token-endpoint\nauth_mode: aml_token\n",
    ),
    Case(
        "endpoint-system-identity",
        "online_endpoint",
        "name: msi-endpoint\nauth_mode: key\nidentity:\n  type: system_assigned\n",
    ),
    Case(
        "endpoint-user-identity",
        "online_endpoint",
        f"""\
name: uai-endpoint
auth_mode: key
identity:
  type: user_assigned
  user_assigned_identities:
    - resource_id: {UAI}
""",
    ),
    Case(
        "endpoint-traffic",
        "online_endpoint",
        """\
name: split-endpoint
traffic:
  blue: 90
  green: 10
mirror_traffic:
  green: 20
public_network_access: disabled
""",
    ),
    Case(
        "endpoint-bad-auth-mode",
        "online_endpoint",
        "name: my-endpoint\nauth_mode: password\n",
        outcome=BOTH_REJECT,
        error_words=("auth_mode", "key", "aml_token"),
    ),
    Case(
        "endpoint-bad-name",
        "online_endpoint",
        "name: 1-endpoint-\n",
        outcome=BOTH_REJECT,
        error_words=("name", "not a valid endpoint name", "starting with a letter"),
    ),
    Case(
        "endpoint-traffic-over-100",
        "online_endpoint",
        "name: split-endpoint\ntraffic:\n  blue: 90\n  green: 20\n",
        outcome=BOTH_REJECT,
        error_words=("traffic", "110%", "at most 100"),
    ),
    Case(
        "endpoint-aad-token",
        "online_endpoint",
        "name: aad-endpoint\nauth_mode: aad_token\n",
        outcome=BASIN_REFUSES,
        error_words=("auth_mode", "'aad_token'", "not supported", "'key' or 'aml_token'"),
        reason="the gateway checks endpoint keys and aml_token JWTs only (docs/architecture.md, "
        "'Online endpoints'); no Microsoft Entra tokens",
    ),
    # --- online deployments ------------------------------------------------------------------
    Case(
        "deployment-example-blue",
        "online_deployment",
        (EXAMPLES / "blue.yml").read_text(),
        files={"conda.yml": (EXAMPLES / "conda.yml").read_text(), "src/score.py": SCORE},
    ),
    Case(
        "deployment-model-ref",
        "online_deployment",
        """\
$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: my-endpoint
model: azureml:sklearn-regression:1
code_configuration:
  code: ../onlinescoring
  scoring_script: score.py
environment: azureml:sklearn-env:3
environment_variables:
  WORKER_COUNT: "4"
  MODEL_NAME: regression
instance_type: Standard_DS3_v2
instance_count: 3
""",
        files={"../onlinescoring/score.py": SCORE},
    ),
    Case(
        "deployment-model-latest",
        "online_deployment",
        """\
name: green
endpoint_name: my-endpoint
model: azureml:sklearn-regression@latest
environment: azureml:sklearn-env@latest
code_configuration:
  code: src
  scoring_script: score.py
instance_type: Standard_F4s_v2
instance_count: 1
""",
        files={"src/score.py": SCORE},
    ),
    Case(
        "deployment-inline-model-and-environment",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
model:
  path: ./model
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest
  conda_file: ./env/conda.yml
code_configuration:
  code: ./src
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 1
""",
        files={**MODEL_FOLDER, "env/conda.yml": CONDA, "src/score.py": SCORE},
    ),
    Case(
        "deployment-inline-named-model",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
model:
  name: regression
  version: 2
  path: model/model.pkl
  type: custom_model
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest
code_configuration:
  code: src
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 1
""",
        files={**MODEL_FOLDER, "src/score.py": SCORE},
    ),
    Case(
        "deployment-settings-and-probes",
        "online_deployment",
        """\
name: tuned
endpoint_name: my-endpoint
model: azureml:sklearn-regression:1
environment: azureml:sklearn-env:3
code_configuration:
  code: src
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 2
app_insights_enabled: true
egress_public_network_access: disabled
scale_settings:
  type: default
request_settings:
  request_timeout_ms: 90000
  max_concurrent_requests_per_instance: 4
  max_queue_wait_ms: 1000
liveness_probe:
  initial_delay: 30
  period: 15
  timeout: 5
  success_threshold: 1
  failure_threshold: 3
readiness_probe:
  initial_delay: 5
  period: 5
  failure_threshold: 10
environment_variables:
  WORKER_COUNT: "4"
tags:
  stage: canary
""",
        files={"src/score.py": SCORE},
    ),
    Case(
        "deployment-no-endpoint-name",
        "online_deployment",
        """\
name: blue
model: azureml:sklearn-regression:1
environment: azureml:sklearn-env:3
code_configuration:
  code: src
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 1
""",
        files={"src/score.py": SCORE},
        outcome=BASIN_ACCEPTS,
        reason="basin's CLI loads the file and then applies -e/--endpoint-name, as az ml does "
        "with params_override; the CLI refuses it when neither gives the endpoint "
        "(test_a_deployment_without_endpoint_is_refused_by_the_cli)",
    ),
    Case(
        "deployment-code-missing",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
model: azureml:sklearn-regression:1
environment: azureml:sklearn-env:3
code_configuration:
  code: ./no-such-folder
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 1
""",
    ),
    Case(
        "deployment-inline-build-environment",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
model: azureml:sklearn-regression:1
environment:
  build:
    path: docker-context
code_configuration:
  code: src
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 1
""",
        files={"src/score.py": SCORE, "docker-context/Dockerfile": "FROM python:3.11-slim\n"},
    ),
    Case(
        "deployment-kubernetes",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
type: kubernetes
model: azureml:sklearn-regression:1
environment: azureml:sklearn-env:3
code_configuration:
  code: src
  scoring_script: score.py
instance_type: defaultinstancetype
instance_count: 1
""",
        files={"src/score.py": SCORE},
        outcome=BASIN_REFUSES,
        error_words=("type", "managed", "Kubernetes"),
        reason="no Kubernetes compute: replicas are local processes",
    ),
    Case(
        "deployment-target-utilization-scaling",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
model: azureml:sklearn-regression:1
environment: azureml:sklearn-env:3
code_configuration:
  code: src
  scoring_script: score.py
instance_type: Standard_DS3_v2
scale_settings:
  type: target_utilization
  min_instances: 1
  max_instances: 3
""",
        files={"src/score.py": SCORE},
        outcome=BASIN_REFUSES,
        error_words=("scale_settings", "target_utilization", "default"),
        reason="Azure ML takes only 'default' scaling for managed deployments "
        "(azureml-contracts.md 5.5); azure-ai-ml leaves that check to the service",
    ),
    Case(
        "deployment-no-instance-type",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
model: azureml:sklearn-regression:1
environment: azureml:sklearn-env:3
code_configuration:
  code: src
  scoring_script: score.py
instance_count: 1
""",
        files={"src/score.py": SCORE},
        outcome=BOTH_REJECT,
        error_words=("instance_type", "required"),
    ),
    Case(
        "deployment-unquoted-environment-variables",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
model: azureml:sklearn-regression:1
environment: azureml:sklearn-env:3
code_configuration:
  code: src
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 1
environment_variables:
  WORKER_COUNT: 4
  DEBUG: true
""",
        files={"src/score.py": SCORE},
    ),
    Case(
        "deployment-model-ref-without-prefix",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
model: sklearn-regression:1
environment: azureml:sklearn-env:3
code_configuration:
  code: src
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 1
""",
        files={"src/score.py": SCORE},
        outcome=BOTH_REJECT,
        error_words=("model", "azureml:<name>:<version>"),
    ),
    Case(
        "deployment-environment-ref-without-version",
        "online_deployment",
        """\
name: blue
endpoint_name: my-endpoint
model: azureml:sklearn-regression:1
environment: azureml:sklearn-env
code_configuration:
  code: src
  scoring_script: score.py
instance_type: Standard_DS3_v2
instance_count: 1
""",
        files={"src/score.py": SCORE},
    ),
    # --- models ------------------------------------------------------------------------------
    Case(
        "model-custom-folder",
        "model",
        """\
$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
name: sklearn-regression
version: 1
path: ./model
description: A scikit-learn regression model
tags:
  framework: sklearn
properties:
  training-run: run-42
""",
        files=MODEL_FOLDER,
    ),
    Case(
        "model-file-no-version",
        "model",
        "name: sklearn-regression\npath: model/model.pkl\ntype: custom_model\n",
        files=MODEL_FOLDER,
    ),
    Case(
        "model-mlflow",
        "model",
        """\
name: mlflow-regression
version: "3"
type: mlflow_model
path: mlflow-model
description: Registered from an MLflow run's output
stage: Production
""",
        files=MLFLOW_FOLDER,
    ),
    Case(
        "model-datastore-uri",
        "model",
        "name: remote-model\nversion: 1\n"
        "path: azureml://datastores/workspaceblobstore/paths/models/regression/\n",
    ),
    Case(
        "model-path-missing",
        "model",
        "name: lost-model\nversion: 1\npath: ./no-such-folder\n",
    ),
    Case(
        "model-bad-type",
        "model",
        "name: pickled\npath: model\ntype: pickle_model\n",
        files=MODEL_FOLDER,
        outcome=BOTH_REJECT,
        error_words=("type", "custom_model", "mlflow_model"),
    ),
    # --- environments ------------------------------------------------------------------------
    Case(
        "environment-image-and-conda",
        "environment",
        """\
$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
name: sklearn-env
version: 1
image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest
conda_file: conda.yml
description: Environment for the scikit-learn models
tags:
  python: "3.11"
""",
        files={"conda.yml": CONDA},
    ),
    Case(
        "environment-image-only",
        "environment",
        "name: minimal-env\nimage: mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest\n",
    ),
    Case(
        "environment-build-context",
        "environment",
        "name: docker-env\nversion: 1\nbuild:\n  path: ./docker-context\n",
        files={"docker-context/Dockerfile": "FROM python:3.11-slim\n"},
    ),
    Case(
        "environment-conda-file-is-given",
        "environment",
        (EXAMPLES / "conda.yml").read_text(),
        outcome=BOTH_REJECT,
        error_words=("looks like a conda file", "conda_file"),
    ),
    Case(
        "environment-conda-file-missing",
        "environment",
        "name: sklearn-env\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"
        "conda_file: missing-conda.yml\n",
        outcome=BOTH_REJECT,
        error_words=("conda_file", "missing-conda.yml", "does not exist"),
    ),
    Case(
        "environment-inline-conda",
        "environment",
        """\
name: inline-conda-env
version: "2"
image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest
conda_file:
  channels:
    - conda-forge
  dependencies:
    - python=3.11
    - pip
    - pip:
      - numpy
os_type: linux
""",
    ),
    Case(
        "environment-inference-config",
        "environment",
        """\
name: custom-container
version: 1
image: docker.io/tensorflow/serving:latest
inference_config:
  liveness_route:
    port: 8501
    path: /v1/models/half_plus_two
  readiness_route:
    port: 8501
    path: /v1/models/half_plus_two
  scoring_route:
    port: 8501
    path: /v1/models/half_plus_two:predict
""",
    ),
    Case(
        "environment-image-and-build",
        "environment",
        "name: both-env\nimage: python:3.11\nbuild:\n  path: ./docker-context\n",
        files={"docker-context/Dockerfile": "FROM python:3.11-slim\n"},
    ),
    Case(
        "environment-neither-image-nor-build",
        "environment",
        "name: empty-env\nversion: 1\n",
    ),
    # --- workspace connections ---------------------------------------------------------------
    Case(
        "connection-python-feed-pat",
        "connection",
        """\
name: private-feed
type: python_feed
target: https://pkgs.dev.azure.com/contoso/_packaging/ml-feed/pypi/simple/
credentials:
  type: pat
  pat: not-a-real-token
""",
    ),
    Case(
        "connection-python-feed-username-password",
        "connection",
        """\
name: artifactory
type: python_feed
target: https://contoso.jfrog.io/artifactory/api/pypi/pypi-local/simple
credentials:
  type: username_password
  username: builder
  password: not-a-real-password
description: The team's Artifactory
""",
    ),
    Case(
        "connection-python-feed-none",
        "connection",
        "name: public-mirror\ntype: python_feed\ntarget: https://pypi.example.org/simple/\n",
    ),
    Case(
        "connection-git-pat",
        "connection",
        """\
name: my-git
type: git
target: https://github.com/contoso/ml-code
credentials:
  type: pat
  pat: not-a-real-token
""",
    ),
    Case(
        "connection-pat-without-type",
        "connection",
        "name: feed\ntype: python_feed\ntarget: https://pkgs.example.org/simple/\n"
        "credentials:\n  pat: not-a-real-token\n",
        outcome=BASIN_ACCEPTS,
        reason="the credential type is inferred from its fields so that `basin connection create "
        "-f c.yml --set credentials.pat=...` works on a file without credentials "
        "(entities/connection.py; tests/e2e/test_models_connections.py relies on it)",
    ),
    Case(
        "connection-container-registry",
        "connection",
        """\
name: team-acr
type: container_registry
target: contoso.azurecr.io
credentials:
  type: username_password
  username: contoso
  password: not-a-real-password
""",
    ),
    Case(
        "connection-python-feed-no-target",
        "connection",
        "name: feed\ntype: python_feed\ncredentials:\n  type: pat\n  pat: x\n",
        outcome=BOTH_REJECT,
        error_words=("target", "required"),
    ),
    Case(
        "connection-not-shared",
        "connection",
        "name: feed\ntype: python_feed\ntarget: https://pkgs.example.org/simple/\n"
        "is_shared: false\nmetadata:\n  team: ml\n",
    ),
    Case(
        "connection-tags",
        "connection",
        "name: feed\ntype: python_feed\ntarget: https://pkgs.example.org/simple/\n"
        "tags:\n  team: ml\n  owner: alice\nmetadata:\n  owner: bob\n",
    ),
    Case(
        "connection-bad-type",
        "connection",
        "name: ftp-feed\ntype: ftp\ntarget: ftp://example.org/\n",
        outcome=BOTH_REJECT,
        error_words=("type", "python_feed"),
    ),
    Case(
        "connection-s3",
        "connection",
        """\
name: my-s3
type: s3
target: https://my-bucket.s3.amazonaws.com
credentials:
  type: access_key
  access_key_id: AKIAEXAMPLE
  secret_access_key: not-a-real-key
""",
        outcome=BASIN_REFUSES,
        error_words=("type", "python_feed", "credentials"),
        reason="basin's connections are for what builds and replicas use: package feeds, git, "
        "container registries and custom keys; no data sources",
    ),
]


def _basin_loader(kind: str) -> Callable[[Path], Any]:
    """``basin.load_<kind>``: the same names as azure-ai-ml's loaders."""
    loader: Callable[[Path], Any] = getattr(basin, KINDS[kind])
    return loader


def _write(case: Case, root: Path) -> Path:
    """The case's files under ``root/<id>/yaml/`` (extra files may sit beside that folder)."""
    folder = root / case.id / "yaml"
    folder.mkdir(parents=True)
    for name, text in case.files.items():
        path = (folder / name).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    main = folder / f"{case.kind}.yml"
    main.write_text(case.yaml)
    return main


@dataclass(frozen=True)
class Loaded:
    path: Path
    sdk: SdkResult


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Loaded]:
    """Every case written out and loaded by azure-ai-ml, all in one process."""
    python = ensure_azure_ai_ml(SDK_VENV)
    root = tmp_path_factory.mktemp("yaml-parity")
    paths = {case.id: _write(case, root) for case in CASES}
    results = load_with_azure_ai_ml(python, [(case.kind, paths[case.id]) for case in CASES])
    return {
        case.id: Loaded(paths[case.id], result) for case, result in zip(CASES, results, strict=True)
    }


# --- normalisation -----------------------------------------------------------------------------
# azure-ai-ml's _to_dict() and basin's to_dict() are both the YAML-shaped form; these steps
# remove what differs only in spelling, never in meaning.

#: Defaults the Azure ML service applies where azure-ai-ml sends nothing (its entities default
#: to None), and which basin fills in when it loads: azureml-contracts.md section 5.5 (request
#: settings and probes) and 5.2 (os_type).
REQUEST_DEFAULTS = {
    "request_timeout_ms": 5000,
    "max_concurrent_requests_per_instance": 1,
    "max_queue_wait_ms": 500,
}
PROBE_DEFAULTS = {
    "initial_delay": 10,
    "period": 10,
    "timeout": 2,
    "success_threshold": 1,
    "failure_threshold": 30,
}


def _prune(value: Any) -> Any:
    """Drop None, empty maps and lists and empty strings, at any depth.

    None: basin's to_dict() leaves unset fields out, azure-ai-ml writes some as null (e.g.
    a user-assigned identity's client_id). Empty maps: tags/properties/traffic/metadata/
    environment_variables absent or {} mean the same to both. Empty strings: azure-ai-ml's
    CustomerManagedKey defaults cosmosdb_id/storage_id/search_id to "" for "not given".
    """
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _text(value: Any) -> str:
    # YAML's spelling of a scalar: true/false, not Python's True/False.
    return str(value).lower() if isinstance(value, bool) else str(value)


def _normalise_environment(env: dict[str, Any]) -> None:
    if env.get("name") == "CliV2AnonymousEnvironment":
        # azure-ai-ml names an inline environment CliV2AnonymousEnvironment with a hash of its
        # content as version; basin's server gives it that name and its own content hash when it
        # registers it (services/environments.register_anonymous), so the loader leaves both out.
        env.pop("name")
        env.pop("version", None)
    env.setdefault("os_type", "linux")  # the service's default (azureml-contracts.md 5.2)


def _normalise_azure(kind: str, data: dict[str, Any], path: Path) -> dict[str, Any]:
    data = _prune(data)
    if kind == "workspace":
        # azure-ai-ml writes its default (false) for a field basin does not have; a file that
        # sets it is refused by basin as an unknown field.
        if data.get("enable_data_isolation") is False:
            data.pop("enable_data_isolation")
        data.setdefault("public_network_access", "Enabled")  # the service's default
    elif kind == "environment":
        _normalise_environment(data)
    elif kind == "online_deployment":
        # load_online_deployment picks the managed schema and says so; basin has only managed
        # deployments and stores no type (anything but 'managed' is refused).
        if data.get("type") == "managed":
            data.pop("type")
        code = data.get("code_configuration")
        if code and not Path(code["code"]).is_absolute():
            # azure-ai-ml keeps the path as written and resolves it against the YAML's folder
            # when it uploads the code; basin resolves it when it loads.
            code["code"] = str((path.parent / code["code"]).resolve())
        if isinstance(data.get("environment"), dict):
            _normalise_environment(data["environment"])
        model = data.get("model")
        written = yaml.safe_load(path.read_text()).get("model")
        if isinstance(model, dict) and isinstance(written, dict) and "name" not in written:
            # An inline model without a name: azure-ai-ml names it by a hash of its path, version
            # 1; basin's server registers it as CliV2AnonymousModel with a content hash as
            # version (services/deployments.py), so the loader leaves both out.
            model.pop("name")
            model.pop("version", None)
        if "environment_variables" in data:
            # azure-ai-ml passes YAML scalars through (WORKER_COUNT: 4 stays an int); the REST
            # contract is a map of strings (azureml-contracts.md 5.5) and basin keeps the text.
            data["environment_variables"] = {
                k: _text(v) for k, v in data["environment_variables"].items()
            }
        data["request_settings"] = {**REQUEST_DEFAULTS, **data.get("request_settings", {})}
        for probe in ("liveness_probe", "readiness_probe"):
            data[probe] = {**PROBE_DEFAULTS, **data.get(probe, {})}
    return data


def _assert_refusal(case: Case, error: str | None) -> None:
    assert error is not None, f"basin loaded {case.id}, which it must refuse"
    missing = [word for word in case.error_words if word not in error]
    assert not missing, f"basin's message lacks {missing}: {error}"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_parity(case: Case, loaded: dict[str, Loaded]) -> None:
    got = loaded[case.id]
    entity: Any = None
    error: str | None = None
    try:
        entity = _basin_loader(case.kind)(got.path)
    except ValidationError as exc:
        error = str(exc)
    sdk = got.sdk
    if case.outcome == SAME:
        assert sdk.ok and sdk.data is not None, f"azure-ai-ml refused it: {sdk.error}"
        assert error is None, f"basin refused what azure-ai-ml loads: {error}"
        assert _prune(entity.to_dict()) == _normalise_azure(case.kind, sdk.data, got.path)
    elif case.outcome == BOTH_REJECT:
        assert not sdk.ok, f"azure-ai-ml loaded it: {sdk.data}"
        _assert_refusal(case, error)
    elif case.outcome == BASIN_REFUSES:
        assert case.reason
        assert sdk.ok, f"azure-ai-ml refused it too (make it BOTH_REJECT): {sdk.error}"
        _assert_refusal(case, error)
    else:
        assert case.outcome == BASIN_ACCEPTS and case.reason
        assert not sdk.ok, f"azure-ai-ml loads it (make it SAME): {sdk.data}"
        assert error is None, error


def test_the_credential_type_is_inferred(loaded: dict[str, Loaded]) -> None:
    connection = basin.load_workspace_connection(loaded["connection-pat-without-type"].path)
    assert connection.to_dict()["credentials"] == {"type": "pat", "pat": "not-a-real-token"}


def test_a_deployment_without_endpoint_is_refused_by_the_cli(
    loaded: dict[str, Loaded], tmp_path: Path
) -> None:
    # The CLI refuses before it looks for a server: no server is needed.
    path = loaded["deployment-no-endpoint-name"].path
    result = run_cli(tmp_path, "online-deployment", "create", "-f", str(path))
    assert result.code == 1
    assert "-e/--endpoint-name" in result.err and "endpoint_name" in result.err


def test_cli_flags_and_set_apply_before_the_file_is_checked(
    loaded: dict[str, Loaded], tmp_path: Path
) -> None:
    # az applies -n/-e/--set to the file before its schema checks it, so a file without
    # instance_type is fine with --set instance_type=...; only then does the CLI look for a
    # server (none here).
    path = str(loaded["deployment-no-instance-type"].path)
    refused = run_cli(tmp_path, "online-deployment", "create", "-f", path)
    assert refused.code == 1 and "'instance_type' is required" in refused.err
    given = ["--set", "instance_type=Standard_DS3_v2", "-e", "from-flag", "--no-wait"]
    passed = run_cli(tmp_path, "online-deployment", "create", "-f", path, *given)
    assert passed.code == 1 and "instance_type" not in passed.err, passed.err
    endpoint_file = str(loaded["endpoint-default-auth"].path)
    bad_name = ["-n", "Not A Valid Name!"]
    endpoint = run_cli(tmp_path, "online-endpoint", "create", "-f", endpoint_file, *bad_name)
    assert endpoint.code == 1 and "'name'" in endpoint.err  # the flag's name was checked


@pytest.mark.parametrize(
    ("case_id", "words"),
    [
        ("environment-build-context", ("'build'", "not supported", "image")),
        ("environment-neither-image-nor-build", ("needs an 'image'", "conda_file")),
    ],
)
def test_environments_basin_cannot_build_are_refused_at_registration(
    loaded: dict[str, Loaded], case_id: str, words: tuple[str, ...]
) -> None:
    """azure-ai-ml and basin both load these; basin's server refuses them when they are
    registered (a Docker build context needs a container engine). ``spec_for`` is the first
    step of registering, and refuses before it touches the platform or the workspace."""
    env = basin.load_environment(loaded[case_id].path)
    assert isinstance(env, Environment)
    with pytest.raises(ValidationError) as refused:
        environments.spec_for(cast(Any, None), cast(Any, None), env)
    assert all(word in str(refused.value) for word in words), str(refused.value)
