"""Finding this process's cgroup v1 memory folder from /proc's mount and cgroup tables."""

from __future__ import annotations

from pathlib import Path

from basin.compute.local._limits import own_v1_memory_cgroup

MOUNTS = """\
22 1 0:21 / / rw,relatime - ext4 /dev/vda rw
30 22 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
33 30 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
36 30 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
"""
CGROUPS = "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n"


def test_the_memory_hierarchys_mount_and_this_process_folder_in_it() -> None:
    found = own_v1_memory_cgroup(MOUNTS, CGROUPS)
    assert found == Path("/sys/fs/cgroup/memory/process_api/abc")


def test_a_container_whose_mount_shows_its_own_folder_as_the_root() -> None:
    # Docker without a cgroup namespace: /proc/self/cgroup names the folder on the host,
    # and the mount inside the container shows that folder at the mount point.
    mounts = MOUNTS.replace(
        "36 30 0:32 / /sys/fs/cgroup/memory", "36 30 0:32 /docker/f00 /sys/fs/cgroup/memory"
    )
    cgroups = "4:memory:/docker/f00\n"
    assert own_v1_memory_cgroup(mounts, cgroups) == Path("/sys/fs/cgroup/memory")


def test_controllers_mounted_together_and_no_v1_memory_at_all() -> None:
    together = MOUNTS.replace("rw,memory", "rw,memory,cpuset")
    assert own_v1_memory_cgroup(together, "5:cpuset,memory:/\n") == Path("/sys/fs/cgroup/memory")
    unified = "22 1 0:21 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
    assert own_v1_memory_cgroup(unified, "0::/user.slice\n") is None
    assert own_v1_memory_cgroup(MOUNTS, "0::/\n") is None  # not in a memory hierarchy
