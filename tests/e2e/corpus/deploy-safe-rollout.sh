set -e

# <set_endpoint_name>
export ENDPOINT_NAME=endpt-sr-`echo $RANDOM`
# </set_endpoint_name>

# <create_endpoint>
az ml online-endpoint create --name $ENDPOINT_NAME -f endpoints/online/echo/endpoint.yml
# </create_endpoint>

# <create_blue>
az ml online-deployment create --name blue --endpoint $ENDPOINT_NAME -f endpoints/online/echo/blue-deployment.yml --all-traffic
# </create_blue>

# <test_blue>
az ml online-endpoint invoke --name $ENDPOINT_NAME --request-file endpoints/online/echo/sample-request.json
# </test_blue>

# <scale_blue>
az ml online-deployment update --name blue --endpoint-name $ENDPOINT_NAME --set instance_count=2
# </scale_blue>

count=$(az ml online-deployment show -n blue -e $ENDPOINT_NAME --query instance_count -o tsv)
[[ $count == 2 ]] || { echo "instance_count is $count"; exit 1; }

# <create_green>
az ml online-deployment create --name green --endpoint-name $ENDPOINT_NAME -f endpoints/online/echo/green-deployment.yml --set environment_variables.SCALE=10 environment_variables.EXTRA=yes
# </create_green>

# <get_traffic>
az ml online-endpoint show -n $ENDPOINT_NAME --query traffic
# </get_traffic>

# <test_green>
RESPONSE=$(az ml online-endpoint invoke --name $ENDPOINT_NAME --deployment-name green --request-file endpoints/online/echo/sample-request.json)
echo $RESPONSE
[[ $RESPONSE == *'[120.0, 300.0]'* ]] || { echo "unexpected answer from green: $RESPONSE"; exit 1; }
# </test_green>

# supress printing secret
set +x
ENDPOINT_KEY=$(az ml online-endpoint get-credentials -n $ENDPOINT_NAME -o tsv --query primaryKey)
set -x

# <test_green_using_curl>
SCORING_URI=$(az ml online-endpoint show -n $ENDPOINT_NAME -o tsv --query scoring_uri)
curl --fail --silent --request POST "$SCORING_URI" --header "Authorization: Bearer $ENDPOINT_KEY" --header 'Content-Type: application/json' --header "azureml-model-deployment: green" --data @endpoints/online/echo/sample-request.json
# </test_green_using_curl>

# <test_green_with_mirror_traffic>
az ml online-endpoint update --name $ENDPOINT_NAME --mirror-traffic "green=10"
# </test_green_with_mirror_traffic>

# <reset_mirror_traffic>
az ml online-endpoint update --name $ENDPOINT_NAME --mirror-traffic "green=0"
# </reset_mirror_traffic>

# <green_10pct_traffic>
az ml online-endpoint update --name $ENDPOINT_NAME --traffic "blue=90 green=10"
# </green_10pct_traffic>

# <green_100pct_traffic>
az ml online-endpoint update --name $ENDPOINT_NAME --traffic "blue=0 green=100"
# </green_100pct_traffic>

blue_share=$(az ml online-endpoint show -n $ENDPOINT_NAME --query traffic.blue -o tsv)
[[ $blue_share == 0 ]] || { echo "blue's share is '$blue_share'"; exit 1; }

# <delete_blue>
az ml online-deployment delete --name blue --endpoint $ENDPOINT_NAME --yes --no-wait
# </delete_blue>

# <delete_endpoint>
az ml online-endpoint delete --name $ENDPOINT_NAME --yes --no-wait
# </delete_endpoint>
echo "CORPUS OK"
