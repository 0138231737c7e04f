"""Shared-key signing details that must agree with azure-storage-blob byte for byte."""

from __future__ import annotations

import random
import string

from azure.storage.blob._shared.authentication import _storage_header_sort

from basin.server.blob._auth import _header_order


def test_x_ms_header_order_matches_the_sdk() -> None:
    # The SDK sorts with the service's collation ('-' ignored, '_' before digits before
    # letters); plain sorting differs for names like these.
    names = ["x-ms-meta-a_1", "x-ms-meta-a1b", "x-ms-meta-ab", "x-ms-meta-a-c", "x-ms-date"]
    rng = random.Random(7)
    alphabet = string.ascii_lowercase + string.digits + "_-"
    names += ["x-ms-meta-" + "".join(rng.choices(alphabet, k=6)) for _ in range(200)]
    expected = [name for name, _ in _storage_header_sort([(n, "") for n in names])]
    assert sorted(names, key=_header_order) == expected
