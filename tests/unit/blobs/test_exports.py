"""The public names of the blob packages (changing them is an API change)."""

from __future__ import annotations

import basin.blobs
import basin.server.blob
import basin.tls


def test_blob_store_exports() -> None:
    assert {"BlobStore", "LocalBlobStore", "BlobData", "BlobReader", "Conditions"} <= set(
        basin.blobs.__all__
    )
    assert all(hasattr(basin.blobs, name) for name in basin.blobs.__all__)


def test_blob_service_exports() -> None:
    assert set(basin.server.blob.__all__) == {
        "BLOBS_ADD", "BLOBS_DELETE", "BLOBS_READ", "BLOBS_WRITE", "CONTAINERS_DELETE",
        "CONTAINERS_READ", "CONTAINERS_WRITE", "DEFAULT_AUTHORIZATION_URI", "AccountDirectory",
        "BearerAuthorizer", "BlobApp", "InvalidTokenError", "Limits", "PermissionDeniedError",
        "StaticAccountDirectory", "create_blob_app",
    }  # fmt: skip
    assert all(hasattr(basin.server.blob, name) for name in basin.server.blob.__all__)


def test_tls_exports() -> None:
    assert set(basin.tls.__all__) == {
        "CertificateAuthority", "LeafCertificates", "ServerCertificate", "default_hosts",
        "ensure_certificate_authority", "ensure_server_certificate", "load_server_certificate",
        "name_constraints",
    }  # fmt: skip
