"""An inline environment is one version per content, even when two provisionings race."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from basin.entities import Environment, Workspace
from basin.errors import NotFoundError
from basin.services import environments, groups, workspaces
from basin.testing.platform import platform_under_test


def test_a_version_registered_meanwhile_is_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two provisionings of one MLflow deployment both looked, found nothing, and both
    registered: the second got a conflict and the deployment failed."""
    with platform_under_test(tmp_path) as put:
        platform = put.platform
        groups.create(platform, "rg")
        workspaces.create(platform, "rg", Workspace(name="ws1"))
        # The build itself is beside the point (and needs the server's builder): not started.
        monkeypatch.setattr(environments, "_start", lambda *args: None)
        inline = Environment(image="basin:minimal", conda_file={"dependencies": ["pip"]})
        first = environments.register_anonymous(platform, "rg", "ws1", inline)
        real_get = environments.get
        calls: list[Any] = []

        def not_yet_then_found(*args: Any, **kwargs: Any) -> Environment:
            calls.append(args)
            if len(calls) == 1:  # the other provisioning registers it right after this look
                raise NotFoundError("not yet")
            return real_get(*args, **kwargs)

        monkeypatch.setattr(environments, "get", not_yet_then_found)
        again = environments.register_anonymous(platform, "rg", "ws1", inline)
        assert (again.name, again.version) == (first.name, first.version)
