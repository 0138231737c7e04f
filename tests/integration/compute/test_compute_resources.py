"""Instance types as resources on the local back end: CPU affinity, memory limits, GPUs."""

from __future__ import annotations

import ctypes
import dataclasses
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from basin.compute import (
    DeploymentState,
    LocalSupervisor,
    ReplicaSpec,
    ReplicaState,
    Resources,
)
from basin.compute.instance_types import InstanceTypes
from basin.compute.local._limits import own_v1_memory_cgroup
from basin.compute.local._machine import Machine, detect_gpus, detect_machine

from .conftest import WAIT_S, get, wait_for

pytestmark = pytest.mark.timeout(180)

SpecFactory = Callable[..., ReplicaSpec]
A = "/ws/onlineEndpoints/ep/deployments/a"
B = "/ws/onlineEndpoints/ep/deployments/b"
GIB = 2**30
REAL_GPUS = detect_gpus()


def _cuda_driver() -> bool:
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


def with_resources(spec: ReplicaSpec, resources: Resources) -> ReplicaSpec:
    return dataclasses.replace(spec, resources=resources)


def proc_field(pid: int, name: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{name} not in /proc/{pid}/status")


def data_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max data size"):
            return line.split()[3]
    raise AssertionError("no data limit line")


def simulated(gpus: tuple[str, ...]) -> Machine:
    return dataclasses.replace(detect_machine(), gpus=gpus)


def test_cpu_affinity_and_memory_limit_follow_the_instance_type(
    supervisor_factory: Callable[..., LocalSupervisor], make_spec: SpecFactory
) -> None:
    machine = detect_machine()
    supervisor = supervisor_factory(machine=machine)
    small = InstanceTypes().get("standard_ds1_v2").resources  # 1 vCPU, 3.5 GiB, any case
    supervisor.apply(with_resources(make_spec(key=A), small), 2)
    supervisor.wait_ready(A, 2, WAIT_S)
    replicas = supervisor.replicas(A)
    cpus = [proc_field(r.pid, "Cpus_allowed_list") for r in replicas if r.pid]
    assert all(len(c.split(",")) == 1 and "-" not in c for c in cpus)  # one CPU each
    if len(machine.cpus) >= 2:
        assert cpus[0] != cpus[1]  # spread: the least used CPU first
    assert supervisor.memory_mechanism in ("cgroup-v2", "cgroup-v1", "rlimit-data")
    if supervisor.memory_mechanism == "rlimit-data":
        assert all(data_limit(r.pid) == str(int(3.5 * GIB)) for r in replicas if r.pid)
    if supervisor.memory_mechanism == "cgroup-v1":
        for replica in replicas:
            assert replica.pid is not None
            folder = v1_memory_folder(replica.pid)
            assert folder.name == replica.id
            assert (folder / "memory.limit_in_bytes").read_text().strip() == str(int(3.5 * GIB))
            assert data_limit(replica.pid) == "unlimited"  # the cgroup, not an rlimit

    big = InstanceTypes().get("Standard_F4s_v2").resources  # 4 vCPU: all of a smaller machine
    supervisor.apply(with_resources(make_spec(key=B), big), 1)
    (endpoint,) = supervisor.wait_ready(B, 1, WAIT_S)
    (replica,) = supervisor.replicas(B)
    assert replica.pid is not None
    allowed = proc_field(replica.pid, "Cpus_allowed_list")
    expected = min(4, len(machine.cpus))
    assert (
        sum(len(range(int(p.split("-")[0]), int(p.split("-")[-1]) + 1)) for p in allowed.split(","))
        == expected
    )
    # A CPU instance type sees no GPU at all.
    assert get(endpoint, "/env?name=CUDA_VISIBLE_DEVICES").text == ""


def test_an_rlimit_memory_limit_refuses_the_allocation(
    tmp_path: Path,
    supervisor_factory: Callable[..., LocalSupervisor],
    make_spec: SpecFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A cgroup root that is no cgroup: the supervisor says so and falls back to RLIMIT_DATA.
    supervisor = supervisor_factory(cgroup_root=tmp_path)
    assert supervisor.memory_mechanism == "rlimit-data"
    assert "fall back to RLIMIT_DATA" in caplog.text
    tiny = Resources(cpus=1, memory_bytes=256 * 1024 * 1024)
    supervisor.apply(with_resources(make_spec(key=A), tiny), 1)
    (endpoint,) = supervisor.wait_ready(A, 1, WAIT_S)
    assert get(endpoint, "/alloc?mb=16").status_code == 200
    refused = get(endpoint, "/alloc?mb=512")
    assert (refused.status_code, refused.text) == (507, "MemoryError")
    assert get(endpoint, "/alloc?mb=16").status_code == 200  # the replica lives on


def v1_memory_folder(pid: int) -> Path:
    """The cgroup v1 memory folder process ``pid`` is in."""
    folder = own_v1_memory_cgroup(cgroups=Path(f"/proc/{pid}/cgroup").read_text())
    assert folder is not None
    return folder


@pytest.fixture
def cgroup_supervisor(supervisor_factory: Callable[..., LocalSupervisor]) -> LocalSupervisor:
    """A supervisor with a real kernel cgroup for replica memory (skips where basin cannot
    make one: then RLIMIT_DATA is what is used, tested above)."""
    supervisor = supervisor_factory()
    if not supervisor.memory_mechanism.startswith("cgroup"):
        pytest.skip("no cgroup basin may write here (cgroup v2 root or v1 memory folder)")
    return supervisor


def test_a_cgroup_memory_limit_oom_kills_in_the_group_and_the_replica_comes_back(
    cgroup_supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor = cgroup_supervisor
    tiny = Resources(cpus=1, memory_bytes=256 * 1024 * 1024)
    supervisor.apply(with_resources(make_spec(key=A), tiny), 1)
    supervisor.apply(make_spec(key=B), 1)  # no instance type: no limit, and not touched
    (endpoint,) = supervisor.wait_ready(A, 1, WAIT_S)
    (other,) = supervisor.wait_ready(B, 1, WAIT_S)
    (before,) = supervisor.replicas(A)
    assert get(endpoint, "/alloc?mb=16").status_code == 200
    with pytest.raises(httpx.TransportError):  # the kernel ended the replica mid-request
        get(endpoint, "/alloc?mb=512")

    def replaced() -> bool:
        now = supervisor.replicas(A)
        return bool(now) and now[0].ready and now[0].pid != before.pid

    wait_for(replaced, "the replica to be restarted")
    (after,) = supervisor.replicas(A)
    assert after.id == before.id and after.restarts == 1 and after.last_exit_code == -9
    assert "ran out of memory and was killed by the kernel" in supervisor.logs(A)
    assert "(0.25 GiB, its instance type's)" in supervisor.logs(A)
    assert after.endpoint is not None and get(after.endpoint, "/alloc?mb=16").status_code == 200
    assert get(other, "/alloc?mb=512").status_code == 200  # the limit was the replica's alone


def test_a_model_too_large_for_its_limit_fails_with_the_reason(
    cgroup_supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor = cgroup_supervisor
    tiny = Resources(cpus=1, memory_bytes=128 * 1024 * 1024)
    supervisor.apply(with_resources(make_spec(key=A, HOLD_AT_START_MB="400"), tiny), 1)
    status = supervisor.wait_settled(A, WAIT_S)
    assert status is not None and status.state is DeploymentState.FAILED
    assert "ran out of memory and was killed by the kernel" in status.message
    assert "before becoming ready (3 attempts)" in status.message


def test_gpus_are_exclusive_and_a_deployment_that_does_not_fit_waits(
    supervisor_factory: Callable[..., LocalSupervisor], make_spec: SpecFactory
) -> None:
    supervisor = supervisor_factory(machine=simulated(("0", "1")))
    gpu = InstanceTypes().get("Standard_NC6s_v3").resources
    assert gpu.gpus == 1
    # The simulated GPUs carry no memory: keep the (real) memory limit within this machine.
    gpu = dataclasses.replace(gpu, memory_bytes=GIB)
    supervisor.apply(with_resources(make_spec(key=A), gpu), 2)
    endpoints = supervisor.wait_ready(A, 2, WAIT_S)
    seen = {get(e, "/env?name=CUDA_VISIBLE_DEVICES").text for e in endpoints}
    assert seen == {"0", "1"}
    assert get(endpoints[0], "/env?name=CUDA_DEVICE_ORDER").text == "PCI_BUS_ID"

    supervisor.apply(with_resources(make_spec(key=B), gpu), 1)
    wait_for(
        lambda: (s := supervisor.status(B)) is not None and "Not enough quota" in s.message,
        "the GPU deployment to wait with its reason",
    )
    status = supervisor.status(B)
    assert status is not None and status.state is DeploymentState.CREATING
    assert "1 GPU" in status.message and "0 of this machine's 2 are free" in status.message
    assert [r.state for r in status.replicas] == [ReplicaState.WAITING]
    assert not status.ready_endpoints

    supervisor.apply(with_resources(make_spec(key=A), gpu), 1)  # frees one GPU
    (b_endpoint,) = supervisor.wait_ready(B, 1, WAIT_S)
    kept = {get(e, "/env?name=CUDA_VISIBLE_DEVICES").text for e in supervisor.ready_endpoints(A)}
    assert len(kept) == 1
    assert get(b_endpoint, "/env?name=CUDA_VISIBLE_DEVICES").text not in kept
    settled = supervisor.wait_settled(B, WAIT_S)
    assert settled is not None and settled.state is DeploymentState.SUCCEEDED
    assert settled.message == ""


@pytest.mark.skipif(
    not REAL_GPUS or not _cuda_driver(),
    reason="no NVIDIA GPU and driver here (the simulated test above runs everywhere; "
    "scripts/device_checks.sh runs this one on a machine with GPUs)",
)
def test_real_gpus_each_replica_sees_only_its_own(
    supervisor_factory: Callable[..., LocalSupervisor], make_spec: SpecFactory
) -> None:
    supervisor = supervisor_factory()  # this machine as detected: its real GPUs
    count = len(REAL_GPUS)
    one_gpu = dataclasses.replace(
        InstanceTypes().get("Standard_NC6s_v3").resources, memory_bytes=GIB
    )
    supervisor.apply(with_resources(make_spec(key=A), one_gpu), count)
    endpoints = supervisor.wait_ready(A, count, WAIT_S)
    seen = [get(e, "/cuda").text.split(" ") for e in endpoints]
    assert [shown for shown, _ in seen] == ["1"] * count  # CUDA shows each replica one GPU
    assert len({bus for _, bus in seen}) == count  # never the same one twice

    supervisor.apply(with_resources(make_spec(key=B), Resources(1, GIB)), 1)
    (plain,) = supervisor.wait_ready(B, 1, WAIT_S)
    assert get(plain, "/cuda").text == "0 "  # a replica without GPUs sees none

    third = "/ws/onlineEndpoints/ep/deployments/c"
    supervisor.apply(with_resources(make_spec(key=third), one_gpu), 1)
    wait_for(
        lambda: (s := supervisor.status(third)) is not None and "Not enough quota" in s.message,
        "a GPU deployment on a machine whose GPUs are all taken to wait",
    )
    supervisor.apply(with_resources(make_spec(key=A), one_gpu), count - 1)  # frees one
    (waited,) = supervisor.wait_ready(third, 1, WAIT_S)
    kept = {get(e, "/cuda").text for e in supervisor.ready_endpoints(A)}
    got = get(waited, "/cuda").text
    assert got.startswith("1 ") and got not in kept


def test_more_memory_than_the_machine_has_waits_with_the_reason(
    supervisor_factory: Callable[..., LocalSupervisor], make_spec: SpecFactory
) -> None:
    supervisor = supervisor_factory()
    huge = InstanceTypes().get("Standard_ND96amsr_A100_v4").resources
    supervisor.apply(with_resources(make_spec(key=A), dataclasses.replace(huge, gpus=0)), 1)
    wait_for(
        lambda: (s := supervisor.status(A)) is not None and "GiB of memory" in s.message,
        "the deployment to wait for memory",
    )
    supervisor.remove(A)
    supervisor.wait(A, lambda s: s is None, WAIT_S)


def test_a_writable_cgroup_v2_folder_takes_the_memory_limit(
    tmp_path: Path, supervisor_factory: Callable[..., LocalSupervisor], make_spec: SpecFactory
) -> None:
    # A folder shaped like a delegated cgroup v2 (memory controller on): the real kernel files
    # are not writable on every machine, but the launcher's path is the same.
    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    (root / "cgroup.subtree_control").write_text("memory\n")
    supervisor = supervisor_factory(cgroup_root=root)
    assert supervisor.memory_mechanism == "cgroup-v2"
    supervisor.apply(with_resources(make_spec(key=A), Resources(1, GIB)), 1)
    supervisor.wait_ready(A, 1, WAIT_S)
    (replica,) = supervisor.replicas(A)
    (group,) = [p for p in root.iterdir() if p.is_dir()]
    (folder,) = list(group.iterdir())
    assert folder.name == replica.id
    assert (folder / "memory.max").read_text() == str(GIB)
    assert (folder / "cgroup.procs").read_text() == str(replica.pid)
    assert data_limit(replica.pid or 0) == "unlimited"  # the cgroup, not an rlimit
