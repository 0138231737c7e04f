# The shape of the examples' online-endpoints-simple-deployment notebook, as a script.
import datetime
import json
import os

from azure.ai.ml import MLClient
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    ProbeSettings,
)
from azure.ai.ml.exceptions import DeploymentException, ValidationException
from azure.identity import DefaultAzureCredential

subscription_id = os.environ.get("SUBSCRIPTION_ID")
resource_group = os.environ["RESOURCE_GROUP"]
workspace = os.environ["WORKSPACE"]

ml_client = MLClient(DefaultAzureCredential(), subscription_id, resource_group, workspace)

endpoint_name = "endpt-" + datetime.datetime.now().strftime("%m%d%H%M%f")
endpoint = ManagedOnlineEndpoint(
    name=endpoint_name,
    description="this is a sample online endpoint",
    auth_mode="key",
    tags={"foo": "bar"},
)
model = Model(path="endpoints/online/echo/model/", type=AssetTypes.CUSTOM_MODEL)
env = Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest")
blue_deployment = ManagedOnlineDeployment(
    name="blue",
    endpoint_name=endpoint_name,
    model=model,
    environment=env,
    code_configuration=CodeConfiguration(
        code="endpoints/online/echo/onlinescoring", scoring_script="score.py"
    ),
    environment_variables={"LABEL": "blue"},
    instance_type="Standard_DS3_v2",
    instance_count=1,
    liveness_probe=ProbeSettings(initial_delay=1, period=5),
)

# local first, as the notebook does
ml_client.online_endpoints.begin_create_or_update(endpoint, local=True)
ml_client.online_deployments.begin_create_or_update(deployment=blue_deployment, local=True)
print(ml_client.online_endpoints.get(name=endpoint_name, local=True).scoring_uri)
print(
    ml_client.online_deployments.get_logs(
        name="blue", endpoint_name=endpoint_name, local=True, lines=50
    )
)
local_answer = ml_client.online_endpoints.invoke(
    endpoint_name=endpoint_name,
    request_file="endpoints/online/echo/sample-request.json",
    local=True,
)
assert json.loads(local_answer)["result"] == [12.0, 30.0], local_answer
ml_client.online_endpoints.begin_delete(name=endpoint_name, local=True)

# then on the server, with the generic verbs
ml_client.begin_create_or_update(endpoint).result()
ml_client.online_deployments.begin_create_or_update(blue_deployment).result()
endpoint.traffic = {"blue": 100}
ml_client.begin_create_or_update(endpoint).result()
answer = ml_client.online_endpoints.invoke(
    endpoint_name=endpoint_name,
    deployment_name="blue",
    request_file="endpoints/online/echo/sample-request.json",
)
assert json.loads(answer)["result"] == [12.0, 30.0], answer
endpoint = ml_client.online_endpoints.get(name=endpoint_name)
print(endpoint.traffic, endpoint.scoring_uri)
print(ml_client.online_deployments.get_logs(name="blue", endpoint_name=endpoint_name, lines=50))

# a failure raises from result(), with azure-ai-ml's exception name
broken = ManagedOnlineDeployment(
    name="broken",
    endpoint_name=endpoint_name,
    environment=env,
    code_configuration=CodeConfiguration(
        code="endpoints/online/echo/onlinescoring", scoring_script="score.py"
    ),
    instance_type="Standard_DS3_v2",
)
poller = ml_client.online_deployments.begin_create_or_update(broken)
try:
    poller.result()
    raise SystemExit("the broken deployment succeeded")
except DeploymentException as failure:
    print("failed as expected:", str(failure).splitlines()[0])
try:
    ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="0-bad"))
    raise SystemExit("a bad name was accepted")
except ValidationException:
    pass

ml_client.online_endpoints.begin_delete(name=endpoint_name).result()
print("CORPUS OK")
