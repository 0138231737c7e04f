"""A client of a real server with a resource group and a workspace made for one test module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from basin import MLClient
from basin.entities import Workspace
from basin.testing import ServerProcess


@contextmanager
def workspace_client(server: ServerProcess, group: str, workspace: str) -> Iterator[MLClient]:
    with MLClient(None, None, group, workspace, server=server.url, token=server.token) as made:
        made.resource_groups.create_or_update(group)
        made.workspaces.begin_create(Workspace(name=workspace)).result()
        yield made
