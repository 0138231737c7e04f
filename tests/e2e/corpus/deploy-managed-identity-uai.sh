set -e

# <set_variables>
export WORKSPACE=$(az config get --query "defaults[?name == 'workspace'].value" -o tsv)
export LOCATION=$(az group show --query location -o tsv)
export TEST_ID=`echo $RANDOM`
export ENDPOINT_NAME=endpt-uai-$TEST_ID
export STORAGE_ACCOUNT_NAME=oepstorage$TEST_ID
export STORAGE_CONTAINER_NAME="hellocontainer"
export FILE_NAME="hello.txt"
export UAI_NAME=oep-user-identity-$TEST_ID
# </set_variables>

# <create_user_identity>
az identity create --name $UAI_NAME
# </create_user_identity>

# <create_storage_account>
az storage account create --name $STORAGE_ACCOUNT_NAME --location $LOCATION
# </create_storage_account>

storage_id=`az storage account show --name $STORAGE_ACCOUNT_NAME --query "id" -o tsv`
blob_endpoint=`az storage account show --name $STORAGE_ACCOUNT_NAME --query "primaryEndpoints.blob" -o tsv`

# <create_storage_container>
az storage container create --account-name $STORAGE_ACCOUNT_NAME --name $STORAGE_CONTAINER_NAME
# </create_storage_container>

# <upload_file_to_storage>
az storage blob upload --account-name $STORAGE_ACCOUNT_NAME --container-name $STORAGE_CONTAINER_NAME --name $FILE_NAME --file endpoints/online/managed-identity/hello.txt
# </upload_file_to_storage>

# <get_user_identity_ids>
uai_clientid=`az identity list --query "[?name=='$UAI_NAME'].clientId" -o tsv`
uai_principalid=`az identity list --query "[?name=='$UAI_NAME'].principalId" -o tsv`
uai_id=`az identity list --query "[?name=='$UAI_NAME'].id" -o tsv`
# </get_user_identity_ids>

container_registry=`az ml workspace show --name $WORKSPACE --query container_registry -o tsv`
storage_account=`az ml workspace show --name $WORKSPACE --query storage_account -o tsv`

# <give_permissions>
az role assignment create --assignee-object-id $uai_principalid --assignee-principal-type ServicePrincipal --role "Storage Blob Data Reader" --scope $storage_id
az role assignment create --assignee $UAI_NAME --role "AcrPull" --scope $container_registry
az role assignment create --assignee $uai_clientid --role "Storage Blob Data Reader" --scope $storage_account
# the same assignment again: az returns the one there is
az role assignment create --assignee-object-id $uai_principalid --role "Storage Blob Data Reader" --scope $storage_id
# </give_permissions>

# <create_endpoint>
az ml online-endpoint create --name $ENDPOINT_NAME -f endpoints/online/managed-identity/uai-endpoint.yml --set identity.user_assigned_identities[0].resource_id=$uai_id
# </create_endpoint>

# <deploy>
az ml online-deployment create --endpoint-name $ENDPOINT_NAME --all-traffic --name blue -f endpoints/online/managed-identity/uai-deployment.yml --set environment_variables.STORAGE_BLOB_ENDPOINT=$blob_endpoint environment_variables.STORAGE_CONTAINER_NAME=$STORAGE_CONTAINER_NAME environment_variables.FILE_NAME=$FILE_NAME environment_variables.UAI_CLIENT_ID=$uai_clientid
# </deploy>

endpoint_status=`az ml online-deployment show --endpoint-name $ENDPOINT_NAME --name blue --query "provisioning_state" -o tsv`
if [[ $endpoint_status != "Succeeded" ]]; then echo "Deployment failed"; exit 1; fi

# <check_deployment_log>
az ml online-deployment get-logs --endpoint-name $ENDPOINT_NAME --name blue --lines 100 | grep "Read from storage: hello from the corpus"
az ml online-deployment get-logs --endpoint-name $ENDPOINT_NAME --name blue --container storage-initializer
# </check_deployment_log>

# <test_endpoint>
az ml online-endpoint invoke --name $ENDPOINT_NAME --request-file endpoints/online/echo/sample-request.json
# </test_endpoint>

# <delete_endpoint>
az ml online-endpoint delete --name $ENDPOINT_NAME --yes
az storage account delete --name $STORAGE_ACCOUNT_NAME --yes
az identity delete --name $UAI_NAME
# </delete_endpoint>
echo "CORPUS OK"
