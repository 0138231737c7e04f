set -e

export ENDPOINT_NAME=endpt-ids-`echo $RANDOM`

az ml online-endpoint create -n $ENDPOINT_NAME -f endpoints/online/echo/endpoint.yml --no-wait
az ml online-deployment create -n blue -e $ENDPOINT_NAME -f endpoints/online/echo/blue-deployment.yml --no-wait

# <wait_for_deployment>
for i in $(seq 1 120); do
  state=$(az ml online-deployment show -n blue -e $ENDPOINT_NAME --query provisioning_state -o tsv)
  echo "deployment state: $state"
  [[ $state == "Succeeded" ]] && break
  [[ $state == "Failed" ]] && exit 1
  sleep 1
done
# </wait_for_deployment>

endpoint_id=$(az ml online-endpoint show -n $ENDPOINT_NAME --query id -o tsv)
deployment_id=$(az ml online-deployment show -n blue -e $ENDPOINT_NAME --query id -o tsv)

az ml online-endpoint update --ids $endpoint_id --traffic "blue=100" --set tags.owner=corpus description="set by --ids"
az ml online-deployment update --ids $deployment_id --set environment_variables.SCALE=3 --remove environment_variables.LABEL
az ml online-deployment show --ids $deployment_id -o table
az ml online-endpoint list -o table

RESPONSE=$(az ml online-endpoint invoke -n $ENDPOINT_NAME -r endpoints/online/echo/sample-request.json)
[[ $RESPONSE == *'[36.0, 90.0]'* ]] || { echo "unexpected: $RESPONSE"; exit 1; }

az ml online-endpoint update --ids $endpoint_id --traffic "blue=0"
az ml online-deployment delete --ids $deployment_id -y
az ml online-endpoint delete --ids $endpoint_id --yes
echo "CORPUS OK"
