"""Secrets encrypted at rest (connection tokens, endpoint keys, storage keys)."""

from basin.keyvault.vault import SecretVault, load_or_create_master_key

__all__ = ["SecretVault", "load_or_create_master_key"]
