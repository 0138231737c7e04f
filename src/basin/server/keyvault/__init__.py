"""The key vault data plane (the secrets REST API ``azure-keyvault-secrets`` speaks)."""

from basin.server.keyvault.app import VAULT_NAME, create_keyvault_app

__all__ = ["VAULT_NAME", "create_keyvault_app"]
