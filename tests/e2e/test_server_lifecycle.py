"""The server process: SIGKILL and restart lose nothing; concurrent creates are all-or-nothing."""

from __future__ import annotations

import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from basin import MLClient
from basin.compute import idle_polling_hint
from basin.entities import Workspace
from basin.testing import ServerProcess


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _client(server: ServerProcess, group: str | None = None) -> MLClient:
    return MLClient(None, None, group, server=server.url, token=server.token)


def test_first_start_creates_a_private_admin_credential(home: Path) -> None:
    with ServerProcess(home) as server:
        creds = home / "credentials.json"
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert server.token.startswith("basin_")
        with _client(server) as client:
            info = client.info
        assert info["subscription_id"] == server.credentials["subscription_id"]
        assert info["caller"]["name"] == "admin"
        # the token is in no log line
        assert all(server.token not in line for line in server.output)
        # a VM whose idle CPUs do not poll is named at the start (and only such a machine)
        hint = idle_polling_hint()
        logged = any("guest_halt_poll_ns" in line for line in server.output)
        assert logged is (hint is not None)
        assert hint is None or any(hint in line for line in server.output)


def test_sigkill_and_restart_lose_nothing(home: Path) -> None:
    server = ServerProcess(home).start()
    try:
        with _client(server, "rg-life") as client:
            client.resource_groups.create_or_update("rg-life")
            created = [
                client.workspaces.begin_create(Workspace(name=f"ws-life-{i}")).result()
                for i in range(3)
            ]
            client.workspaces.begin_delete("ws-life-2").result()
        token, subscription = server.token, server.credentials["subscription_id"]
    finally:
        server.kill()  # SIGKILL: no chance to clean up
    restarted = ServerProcess(home).start()
    try:
        assert restarted.token == token  # same credential after restart
        with _client(restarted, "rg-life") as client:
            assert client.subscription_id == subscription
            names = sorted(w.name for w in client.workspaces.list())
            assert names == ["ws-life-0", "ws-life-1"]
            assert [w.name for w in client.workspaces.list(deleted=True)] == ["ws-life-2"]
            again = client.workspaces.get("ws-life-0")
            assert again.storage_account == created[0].storage_account
            assert client.workspaces.get_keys("ws-life-0").user_storage_key
    finally:
        assert restarted.stop() == 0  # SIGTERM: a clean stop


def test_twenty_concurrent_workspace_creates(home: Path) -> None:
    with ServerProcess(home) as server:
        with _client(server, "rg-many") as client:
            client.resource_groups.create_or_update("rg-many")

        def create(i: int) -> Workspace:
            with _client(server, "rg-many") as own:
                return own.workspaces.begin_create(Workspace(name=f"ws-many-{i:02d}")).result()

        with ThreadPoolExecutor(max_workers=20) as pool:
            made = list(pool.map(create, range(20)))
        assert len({w.id for w in made}) == 20
        with _client(server, "rg-many") as client:
            listed = client.workspaces.list()
            assert len(listed) == 20
            accounts = client.storage_accounts.list()
            # every workspace has its own, complete set of dependent resources
            assert len(accounts) == 20
            assert {w.storage_account for w in listed} == {a.id for a in accounts}
            for workspace in listed:
                assert workspace.key_vault and workspace.container_registry
                assert workspace.application_insights
                assert client.workspaces.get_keys(workspace.name).user_storage_key


def test_credentials_file_lost_gets_a_new_admin_token(home: Path) -> None:
    with ServerProcess(home) as server:
        old = server.token
    os.remove(home / "credentials.json")
    with ServerProcess(home) as server:
        assert server.token != old
        with _client(server) as client:
            assert client.info["caller"]["name"] == "admin"


def test_signing_key_rotates_on_schedule_and_the_old_one_keeps_verifying(home: Path) -> None:
    # 0.00003 days is about 2.6 s; the default is 30 days.
    with ServerProcess(home, extra_env={"BASIN_KEY_ROTATION_DAYS": "0.00003"}) as server:
        first = httpx.get(f"{server.url}/basin/jwks").json()["keys"]
        assert len(first) == 1
        deadline = time.monotonic() + 30
        keys = first
        while len(keys) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            keys = httpx.get(f"{server.url}/basin/jwks").json()["keys"]
        assert len(keys) >= 2, "the signing key was never rotated"
        assert keys[-1]["kid"] == first[0]["kid"]  # newest first: the old key still verifies
        # The ring rotates before the log line is written: the JWKS can show the new key first.
        assert server.wait_for_output("Token-signing key rotated")
        with _client(server) as client:  # and the server still answers as before
            assert client.info["caller"]["name"] == "admin"


def test_a_server_that_does_not_start_in_time_is_stopped(home: Path) -> None:
    server = ServerProcess(home)
    with pytest.raises(RuntimeError, match="did not start"):
        server.start(timeout=0.01)  # long before it can be ready
    assert server.process is not None and server.process.poll() is not None
