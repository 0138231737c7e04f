"""The crash matrix (#13): the server SIGKILLed at seeded random points while it works, restarted.

Each round starts, in threads and at seeded offsets, a workspace create, a model upload, an
environment build (every third round), a deployment create or update and a role assignment
create, then SIGKILLs the server process alone (its gateway and replicas must die with it) at a
seeded random moment, starts it again on the same home and checks:

* every resource is wholly there or wholly absent, and there when the client was told it was
  made (a workspace with all its dependent resources and keys, a model whose files download as
  uploaded, a role assignment that decides access);
* list and show work;
* builds and deployments converge: the environment builds, the deployment is Succeeded and the
  gateway answers with the configuration last stored;
* no process that names the home is left but the new server and what it started;
* nothing half-made is left: staging folders, temporary files, build work folders, blob data
  nothing refers to, uploads without their completion marker.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    EndpointAuthKeys,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    OnlineRequestSettings,
    Workspace,
)
from basin.testing import ServerProcess
from basin.testing.hygiene import descendants, leftovers, processes_mentioning

ROUNDS = 30
SEED = 1313
GROUP = "rg-crash"
WS = "ws-crash"

ECHO = """
import json, os

def init():
    pass

def run(raw_data):
    return {"label": os.environ.get("LABEL")}
"""


@dataclass
class Belief:
    """What the client was told (True: made; False: refused; None: no answer before the kill)."""

    workspaces: dict[str, bool | None] = field(default_factory=dict)
    models: dict[str, bytes] = field(default_factory=dict)  # version -> content digest
    model_digests: set[bytes] = field(default_factory=set)  # every content ever sent
    environments: dict[str, bool | None] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)  # deployment LABELs sent, in order
    confirmed_label: str = ""  # the last LABEL whose PUT was answered
    assignments: dict[str, str | None] = field(default_factory=dict)  # principal -> id
    #: What was already checked whole (a workspace's name, ("model", version)): only
    #: checked to be still listed in later rounds.
    verified: set[object] = field(default_factory=set)


def _client(server: ServerProcess) -> MLClient:
    return MLClient(None, None, GROUP, WS, server=server.url, token=server.token)


def _digest(folder: Path) -> bytes:
    hasher = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hasher.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return hasher.digest()


def _deployment(code: Path, label: str) -> ManagedOnlineDeployment:
    return ManagedOnlineDeployment(
        name="blue",
        endpoint_name="ep-crash",
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image="basin:minimal"),
        instance_type="Standard_DS3_v2",
        environment_variables={"LABEL": label},
        request_settings=OnlineRequestSettings(max_concurrent_requests_per_instance=4),
    )


def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as exc:  # not yet: the condition raises until it holds
            last = exc
        else:
            if result:
                return result
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen in {timeout:.0f} s (last: {last!r})")


@pytest.fixture(scope="module")
def crash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with a build cache of its own (under its home), so every leftover is its own."""
    server = ServerProcess(tmp_path_factory.mktemp("crash") / "home").start()
    try:
        yield server
    finally:
        server.stop()


def _kill_server_alone(server: ServerProcess) -> None:
    """SIGKILL the server process only: its gateway and replicas must go by themselves."""
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()


def _wait_for_no_processes(home: Path, timeout: float = 20) -> None:
    """After the kill the gateway and replicas die by their parent-death signal; a replica that
    ignores it is stopped by the next server (pid files). Either way none may be left then."""
    deadline = time.monotonic() + timeout
    while processes_mentioning(str(home)) and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.timeout(1200)
def test_sigkill_at_random_points_leaves_whole_resources_and_nothing_behind(
    crash_server: ServerProcess, tmp_path: Path
) -> None:
    server, home = crash_server, crash_server.home
    rng = random.Random(SEED)
    belief = Belief()
    code = tmp_path / "src"
    code.mkdir()
    (code / "score.py").write_text(ECHO)
    with _client(server) as client:
        client.resource_groups.create_or_update(GROUP)
        client.workspaces.begin_create(Workspace(name=WS)).result()
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name="ep-crash")
        ).result()
        client.online_deployments.begin_create_or_update(_deployment(code, "start")).result()
        client.online_endpoints.begin_update("ep-crash", {"traffic": {"blue": 100}}).result()
    belief.labels.append("start")
    belief.confirmed_label = "start"
    kills = 0
    for round_ in range(ROUNDS):
        operations = _operations(server, round_, rng, belief, code, tmp_path)
        threads = [
            threading.Thread(target=_after, args=(rng.uniform(0, 0.4), op), daemon=True)
            for op in operations
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.15, 1.5))
        _kill_server_alone(server)
        kills += 1
        for thread in threads:
            thread.join(60)
            assert not thread.is_alive(), "a client call hung after the server was killed"
        _wait_for_no_processes(home)
        started = time.monotonic()
        server.start(timeout=180)  # a loaded CI machine may take long; a quiet one ~2 s
        restarted = time.monotonic()
        _check(server, belief, round_)
        print(
            f"kill {kills}: restart {restarted - started:.1f} s, "
            f"checks {time.monotonic() - restarted:.1f} s",
            flush=True,
        )
    assert kills >= 30


def _after(delay: float, operation: Callable[[], None]) -> None:
    time.sleep(delay)
    # The server may die under it: the outcome is then unknown, and either is fine.
    with contextlib.suppress(Exception):
        operation()


def _operations(
    server: ServerProcess,
    round_: int,
    rng: random.Random,
    belief: Belief,
    code: Path,
    tmp_path: Path,
) -> list[Callable[[], None]]:
    workspace = f"ws-r{round_}"
    belief.workspaces[workspace] = None

    def create_workspace() -> None:
        with _client(server) as client:
            client.workspaces.begin_create(Workspace(name=workspace)).result()
        belief.workspaces[workspace] = True

    folder = tmp_path / f"model-{round_}"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(rng.randbytes(1 << 20))
    (folder / "config.json").write_text(f'{{"round": {round_}}}')
    digest = _digest(folder)
    belief.model_digests.add(digest)

    def upload_model() -> None:
        with _client(server) as client:
            made = client.models.create_or_update(Model(name="m-crash", path=str(folder)))
        assert made.version
        belief.models[made.version] = digest

    label = f"r{round_}"
    belief.labels.append(label)

    def update_deployment() -> None:
        with _client(server) as client:
            client.online_deployments.begin_create_or_update(_deployment(code, label))
        belief.confirmed_label = label

    principal: dict[str, str] = {}

    def assign_role() -> None:
        with _client(server) as client:
            made = client.principals.create(f"crash-{round_}")
            principal["id"] = made.id
            belief.assignments[made.id] = None
            scope = f"/subscriptions/{server.credentials['subscription_id']}/resourceGroups/{GROUP}"
            assignment = client.role_assignments.create(made.id, "Reader", scope)
        belief.assignments[made.id] = assignment.id

    operations = [create_workspace, upload_model, update_deployment, assign_role]
    if round_ % 3 == 0:
        environment = f"env-r{round_}"
        belief.environments[environment] = None

        def build_environment() -> None:
            # A requirement no other round names: a build of its own, not a cache hit.
            conda = tmp_path / f"conda-{round_}.yml"
            conda.write_text(
                "dependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
                f"    - httptools!=0.0.{round_}\n"
            )
            with _client(server) as client:
                client.environments.create_or_update(
                    Environment(
                        name=environment, version="1", image="basin:minimal", conda_file=str(conda)
                    )
                )
            belief.environments[environment] = True

        operations.append(build_environment)
    rng.shuffle(operations)
    return operations


def _check(server: ServerProcess, belief: Belief, round_: int) -> None:
    where = f"after kill {round_ + 1}"
    with _client(server) as client:
        # list and show work
        groups = [g.name for g in client.resource_groups.list()]
        assert GROUP in groups, where
        listed = {w.name: w for w in client.workspaces.list()}
        accounts = {a.id.lower() for a in client.storage_accounts.list() if a.id}
        # workspaces: wholly there (with every dependent resource and its keys) or absent
        for name, told in belief.workspaces.items():
            if told:
                assert name in listed, f"{where}: workspace {name} was confirmed but is gone"
            if name in listed and name not in belief.verified:
                belief.verified.add(name)  # checked whole once; later rounds: still listed
                made = client.workspaces.get(name)
                assert made.storage_account and made.storage_account.lower() in accounts, where
                assert made.key_vault and made.container_registry and made.application_insights
                assert client.workspaces.get_keys(name).user_storage_key, where
        owned = {w.storage_account.lower() for w in listed.values() if w.storage_account}
        assert accounts == owned, (
            f"{where}: storage accounts without a workspace: {accounts - owned}"
        )
        # models: every version lists, shows and downloads as one of the uploads; confirmed ones
        # are there with their own content
        versions = (
            {m.version: m for m in client.models.list("m-crash")} if _any_model(client) else {}
        )
        for version in belief.models:
            assert version in versions, (
                f"{where}: model version {version} was confirmed but is gone"
            )
        for number in versions:
            assert number is not None
            if ("model", number) in belief.verified:
                continue
            belief.verified.add(("model", number))
            target = client.models.download("m-crash", number, server.home.parent / "dl" / number)
            got = _digest(next(target.iterdir()))
            assert got in belief.model_digests, f"{where}: model {number} is not what was sent"
            if number in belief.models:
                assert got == belief.models[number], where
        # role assignments: confirmed ones are there and decide access
        everything = client.role_assignments.list(all=True)
        for principal, assignment in belief.assignments.items():
            found = [a for a in everything if a.principal_id == principal]
            if assignment is not None:
                assert [a.id for a in found] == [assignment], where
            for item in found:
                assert item.scope and item.role_definition_id, where
        # environments converge: every registered version builds
        environments = {e.name for e in client.environments.list()}
        for name, told in belief.environments.items():
            if told:
                assert name in environments, (
                    f"{where}: environment {name} was confirmed but is gone"
                )
            if name in environments:
                client.environments.wait_for_build(name, "1", timeout=300)
        # the deployment converges to what was stored last
        stored = _until(lambda: _settled(client), 300, f"{where}: the deployment settling")
        label = stored.environment_variables["LABEL"]
        sent = belief.labels
        assert label in sent[sent.index(belief.confirmed_label) :], (where, label, sent)
        uri = client.online_endpoints.get("ep-crash").scoring_uri
        keys = client.online_endpoints.get_keys("ep-crash")
        assert isinstance(keys, EndpointAuthKeys)
        headers = {"Authorization": f"Bearer {keys.primary_key}"}
        _until(
            lambda: (
                httpx.post(uri or "", json={}, headers=headers, timeout=10).json().get("label")
                == label
            ),
            120,
            f"{where}: the gateway answering with LABEL={label}",
        )
    # no orphans: whatever names the home is the new server or below it
    assert server.process is not None
    family = descendants(server.process.pid)
    strays = [p for p in processes_mentioning(str(server.home)) if p.pid not in family]
    assert strays == [], f"{where}: {[(p.pid, p.argv[:4]) for p in strays]}"
    # nothing half-made is left
    assert leftovers(server.home) == [], where


def _any_model(client: MLClient) -> bool:
    return any(m.name == "m-crash" for m in client.models.list())


def _settled(client: MLClient) -> ManagedOnlineDeployment | None:
    deployment = client.online_deployments.get("blue", "ep-crash")
    if deployment.provisioning_state == "Failed":
        raise AssertionError(f"the deployment failed: {deployment.provisioning_message}")
    return deployment if deployment.provisioning_state == "Succeeded" else None
