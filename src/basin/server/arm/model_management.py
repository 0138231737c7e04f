"""``ml.azure.com``'s model-management REST API (Azure ML v1), the one call scripts still make.

azureml-examples' ncd script deletes old model versions before it starts with
``curl -X DELETE https://ml.azure.com/api/{region}/modelmanagement/v1.0/subscriptions/…/
workspaces/{ws}/models/{name}:{version}`` and a management token (``az account
get-access-token``). The proxy sends ``ml.azure.com`` to the ARM adapter, whose token check this
shares; the right asked is ``delete`` on the model version, as basin's own API asks it.
"""

from __future__ import annotations

from basin.errors import ValidationError
from basin.server.arm._common import ML, authorize, workspace_for
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.services import models

__all__ = ["router"]

router = ArmRouter()
MODEL = (
    "/api/{region}/modelmanagement/v1.0/subscriptions/{subscription}/resourceGroups/{group}"
    f"/providers/{ML}/workspaces/{{workspace}}/models/{{model}}"
)


def _delete(request: ArmRequest) -> ArmReply:
    """``{name}:{version}``: that version goes for good (200; 404 when there is none)."""
    name, sep, version = request.params["model"].rpartition(":")
    if not sep or not name or not version:
        raise ValidationError(
            f"'{request.params['model']}' is not a model version: write it as <name>:<version>."
        )
    workspace = workspace_for(request)
    assert workspace.id is not None
    version_id = f"{workspace.id}/models/{name}/versions/{version}"
    authorize(request.platform, request.principal, version_id, "delete")
    models.delete_version(
        request.platform, request.params["group"], request.params["workspace"], name, version
    )
    return ArmReply(None, 200)


_delete.authorizes_itself = True  # type: ignore[attr-defined]  # the path is not the resource id
router.add("DELETE", MODEL, _delete)
