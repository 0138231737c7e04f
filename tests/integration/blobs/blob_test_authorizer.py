"""A tiny bearer authorizer for the blob service tests: token -> allowed data actions.

Loaded inside the server process by ``--authorizer blob_test_authorizer:create``; the grants
come from the JSON file named by ``BASIN_TEST_BLOB_GRANTS``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from basin.server.blob import InvalidTokenError, PermissionDeniedError


class DictAuthorizer:
    def __init__(self, grants: dict[str, list[str]]) -> None:
        self._grants = grants

    def authorize(
        self,
        token: str,
        account: str,
        container: str | None,
        blob: str | None,
        data_action: str,
    ) -> None:
        allowed = self._grants.get(token)
        if allowed is None:
            raise InvalidTokenError("unknown token")
        if data_action not in allowed:
            raise PermissionDeniedError(f"{data_action} is not granted")


def create() -> DictAuthorizer:
    return DictAuthorizer(json.loads(Path(os.environ["BASIN_TEST_BLOB_GRANTS"]).read_text()))
