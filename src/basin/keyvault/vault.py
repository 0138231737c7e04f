"""``SecretVault``: AES-GCM encryption of secrets kept in the metadata store.

Each secret is sealed with the installation's master key, with its scope and name as associated
data so a ciphertext copied onto another secret's row does not decrypt.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from basin.files import replace_file
from basin.store.base import Reader, Transaction

__all__ = ["SecretVault", "load_or_create_master_key"]

_NONCE_BYTES = 12


def load_or_create_master_key(path: Path) -> bytes:
    """Read the 256-bit master key, creating it (readable by its owner only) on first use."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    replace_file(path, key, durable=True)
    return key


class SecretVault:
    def __init__(self, master_key: bytes) -> None:
        self._aead = AESGCM(master_key)

    @staticmethod
    def _aad(scope: str, name: str) -> bytes:
        return f"{scope.lower()}\n{name}".encode()

    def seal(self, scope: str, name: str, value: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, value.encode(), self._aad(scope, name))

    def open(self, scope: str, name: str, ciphertext: bytes) -> str:
        nonce, body = ciphertext[:_NONCE_BYTES], ciphertext[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, body, self._aad(scope, name)).decode()

    def put(self, tx: Transaction, scope: str, name: str, value: str) -> None:
        tx.put_secret(scope, name, self.seal(scope, name, value))

    def get(self, reader: Reader, scope: str, name: str) -> str | None:
        stored = reader.get_secret(scope, name)
        return None if stored is None else self.open(scope, name, stored.ciphertext)
