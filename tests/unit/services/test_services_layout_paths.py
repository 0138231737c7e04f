"""Files laid out for replicas stay inside their folder (security defect of #13).

A blob named ``…/z//<absolute path>`` and a model whose path is ``…/paths/z/`` made the server
write that absolute path on the host. Such names are refused now; blobs stored before the rule
(an older installation) are refused when laid out, and nothing is written outside.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import basin.blobs.local
from basin.entities import Workspace
from basin.errors import ValidationError
from basin.services import datastores, deployments, groups, workspaces
from basin.testing.platform import PlatformUnderTest, platform_under_test


@pytest.fixture
def put(tmp_path: Path) -> Iterator[PlatformUnderTest]:
    with platform_under_test(tmp_path / "home") as made:
        groups.create(made.platform, "rg")
        workspaces.create(made.platform, "rg", Workspace(name="ws1"))
        yield made


def test_a_blob_laid_out_as_an_absolute_path_is_refused(
    put: PlatformUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "outside" / "written-by-the-server"
    platform = put.platform
    where = datastores.location_of(platform, workspaces.get(platform, "rg", "ws1"))
    assert platform.blobs is not None
    # Stored as an older installation could have stored it, before names were checked.
    monkeypatch.setattr(basin.blobs.local, "validate_blob_name", lambda name: name)
    platform.blobs.put_blob_bytes(where.account, where.container, f"up/z/{victim}", b"pwned")
    monkeypatch.undo()
    with pytest.raises(ValidationError, match="escape"):
        deployments.layout_code(
            platform, "rg", "ws1", "azureml://datastores/workspaceblobstore/paths/up/z/"
        )
    assert not victim.exists()
    assert not victim.parent.exists()


def test_such_names_are_refused_when_stored(put: PlatformUnderTest, tmp_path: Path) -> None:
    platform = put.platform
    where = datastores.location_of(platform, workspaces.get(platform, "rg", "ws1"))
    assert platform.blobs is not None
    for name in (f"up/z/{tmp_path}/x", "/etc/passwd", "a//b"):
        with pytest.raises(Exception, match="empty path segment"):
            platform.blobs.put_blob_bytes(where.account, where.container, name, b"x")


def test_folder_marker_blobs_are_not_laid_out_as_files(put: PlatformUnderTest) -> None:
    platform = put.platform
    where = datastores.location_of(platform, workspaces.get(platform, "rg", "ws1"))
    assert platform.blobs is not None
    platform.blobs.put_blob_bytes(where.account, where.container, "up/code/", b"")
    platform.blobs.put_blob_bytes(where.account, where.container, "up/code/score.py", b"x = 1\n")
    folder = deployments.layout_code(
        platform, "rg", "ws1", "azureml://datastores/workspaceblobstore/paths/up/code"
    )
    assert (folder / "score.py").read_text() == "x = 1\n"
