"""``management.azure.com``: Azure Resource Manager's wire format over basin's services.

One set of services, two wire formats: basin's own management API speaks the CLI's shapes
(snake_case, flattened); this package speaks ARM's (``id``, ``name``, ``type``, ``location``,
``identity``, ``sku``, ``tags``, camelCase ``properties``, ``systemData``), so the real
azure-ai-ml and Azure's management SDKs (azure-mgmt-storage, -msi, -authorization, -resource)
work unchanged through basin's proxy. Each module adapts one resource family; ``app`` does
authentication, authorisation and the error envelope once for all.
"""

from basin.server.arm.app import ArmApp, create_arm_app

__all__ = ["ArmApp", "create_arm_app"]
