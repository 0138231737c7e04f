"""No orphans: close() stops everything, and so does a new supervisor after a killed one."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from basin.compute import LocalSupervisor, ReplicaSpec
from basin.errors import ConflictError

from .conftest import WAIT_S, alive, base_env, get, wait_for

pytestmark = pytest.mark.timeout(180)

SpecFactory = Callable[..., ReplicaSpec]

# A supervisor in its own process, to be killed with SIGKILL: it prints the pids of its replicas
# and of the child each replica started, then waits.
SUPERVISOR = textwrap.dedent(
    """
    import json, sys, time, urllib.request
    from pathlib import Path
    from basin.compute import LocalSupervisor, ProbeSettings, ReplicaSpec

    state, logs, script = (Path(arg) for arg in sys.argv[1:4])
    env = json.loads(sys.argv[4])
    live = ProbeSettings(initial_delay=30, period=0.5, timeout=2, failure_threshold=3)
    ready = ProbeSettings(initial_delay=0, period=0.2, timeout=2, failure_threshold=3)
    supervisor = LocalSupervisor(state, logs, stop_grace=2)
    kinds = {"plain": {}, "stubborn": {"IGNORE_TERM": "1"}}
    for key, extra in kinds.items():
        argv = [sys.executable, str(script), "{port}"]
        spec_env = env | extra | {"SPAWN_CHILD": "1"}
        supervisor.apply(ReplicaSpec(key, "r1", argv, spec_env, script.parent, live, ready), 1)
    found = {}
    for key in kinds:
        (endpoint,) = supervisor.wait_ready(key, 1, 60)
        (replica,) = supervisor.replicas(key)
        with urllib.request.urlopen(f"http://{endpoint}/child") as answer:
            found[key] = [replica.pid, int(answer.read())]
    print(json.dumps(found), flush=True)
    time.sleep(600)
    """
)


def _start_ticks(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rindex(")") + 2 :].split()[19]


@pytest.fixture
def guard() -> Iterator[Callable[[int], None]]:
    """Processes a failed test must not leave behind (killed only if still the same process)."""
    watched: list[tuple[int, str | None]] = []
    yield lambda pid: watched.append((pid, _start_ticks(pid)))
    for pid, ticks in watched:
        if ticks is not None and _start_ticks(pid) == ticks:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def spawned(tmp_path: Path, replica_script: Path) -> Iterator[subprocess.Popen[str]]:
    script = tmp_path / "supervisor.py"
    script.write_text(SUPERVISOR)
    args = [str(tmp_path / "state"), str(tmp_path / "logs"), str(replica_script)]
    process = subprocess.Popen(
        [sys.executable, str(script), *args, json.dumps(base_env())],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    yield process
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_killed_supervisor_leaves_no_orphans(
    spawned: subprocess.Popen[str],
    supervisor_factory: Callable[..., LocalSupervisor],
    tmp_path: Path,
    guard: Callable[[int], None],
) -> None:
    assert spawned.stdout is not None
    line = spawned.stdout.readline()
    assert line, "the supervisor process ended early"
    found: dict[str, list[int]] = json.loads(line)
    (plain, plain_child), (stubborn, stubborn_child) = found["plain"], found["stubborn"]
    everything = [plain, plain_child, stubborn, stubborn_child]
    for pid in everything:
        guard(pid)
    assert all(alive(pid) for pid in everything)
    spawned.kill()
    spawned.wait()

    # Linux tells each replica that its supervisor died (PR_SET_PDEATHSIG: SIGTERM)...
    wait_for(lambda: not alive(plain), "the replica to get SIGTERM from Linux")
    # ...but a replica may ignore it, and what it started is not told: the pid files are
    # there for the next supervisor.
    assert alive(stubborn) and alive(plain_child) and alive(stubborn_child)
    assert len(list((tmp_path / "state").glob("*.pid.json"))) == 2

    supervisor_factory()  # cleans up before it starts
    assert not any(alive(pid) for pid in everything)
    assert list((tmp_path / "state").glob("*.pid.json")) == []


def test_close_leaves_no_process(
    supervisor_factory: Callable[..., LocalSupervisor],
    make_spec: SpecFactory,
    tmp_path: Path,
    guard: Callable[[int], None],
) -> None:
    supervisor = supervisor_factory(stop_grace=1.0)
    keys = {"plain": {}, "stubborn": {"IGNORE_TERM": "1"}}
    for key, extra in keys.items():
        supervisor.apply(make_spec(key=key, SPAWN_CHILD="1", **extra), 2)
    pids: list[int] = []
    for key in keys:
        for endpoint in supervisor.wait_ready(key, 2, WAIT_S):
            pids.append(int(get(endpoint, "/child").text))
        pids.extend(r.pid for r in supervisor.replicas(key) if r.pid is not None)
    for pid in pids:
        guard(pid)
    assert len(pids) == 8 and all(alive(pid) for pid in pids)
    supervisor.close()
    assert [pid for pid in pids if alive(pid)] == []
    assert list((tmp_path / "state").glob("*.pid.json")) == []
    assert supervisor.status("plain") is None
    supervisor.close()  # idempotent


def test_scaled_down_replica_takes_its_children_along(
    supervisor: LocalSupervisor, make_spec: SpecFactory, guard: Callable[[int], None]
) -> None:
    supervisor.apply(make_spec(key="k", SPAWN_CHILD="1"), 1)
    (endpoint,) = supervisor.wait_ready("k", 1, WAIT_S)
    child = int(get(endpoint, "/child").text)
    (replica,) = supervisor.replicas("k")
    assert replica.pid is not None
    guard(child)
    supervisor.apply(make_spec(key="k", SPAWN_CHILD="1"), 0)
    supervisor.wait_settled("k", WAIT_S)
    wait_for(lambda: not alive(child) and not alive(replica.pid or 0), "the whole group")


def test_one_state_folder_has_one_supervisor(
    supervisor: LocalSupervisor, supervisor_factory: Callable[..., LocalSupervisor]
) -> None:
    with pytest.raises(ConflictError, match="Another supervisor"):
        supervisor_factory()


def test_a_crashed_replica_leaves_no_children_behind(
    supervisor: LocalSupervisor, make_spec: SpecFactory, guard: Callable[[int], None]
) -> None:
    supervisor.apply(make_spec(key="k", SPAWN_CHILD="1"), 1)
    (endpoint,) = supervisor.wait_ready("k", 1, WAIT_S)
    child = int(get(endpoint, "/child").text)
    guard(child)
    with contextlib.suppress(Exception):
        get(endpoint, "/crash")  # the leader exits with code 4; its child would live on
    wait_for(lambda: supervisor.replicas("k")[0].restarts == 1, "the restart")
    wait_for(lambda: not alive(child), "the crashed replica's child to be killed")
