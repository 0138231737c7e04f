#!/usr/bin/env bash
# The checks that need a machine CI does not have: real NVIDIA GPUs (each replica sees only its
# own, a deployment that does not fit waits), cgroup v2's memory controller on a real kernel,
# and more cores. Run it on the device machine (the `device` tool's `run`), from the repository
# root, when a task is lent one:
#
#     bash scripts/device_checks.sh            # about a minute; results also under $OUT
#
# It needs only what that machine's image holds (python3 with pytest, pytest-timeout, httpx and
# PyYAML): the compute package runs from src/ uninstalled, and the tests' root conftest (which
# imports the whole CLI) is not loaded. Where a check cannot run it says why (pytest -rs).
set -u
export PYTHONPATH=src PYTHONUNBUFFERED=1
PYTHON=${PYTHON:-python3}
out=${OUT:-/tmp/basin-device-checks}
mkdir -p "$out"
{
    date -u
    echo "CPUs: $(nproc); kernel $(uname -r); $($PYTHON --version 2>&1)"
    nvidia-smi -L 2>&1 || echo "no nvidia-smi"
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        echo "cgroup v2 at /sys/fs/cgroup, controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
    else
        echo "no cgroup v2 hierarchy at /sys/fs/cgroup"
    fi
    "$PYTHON" -c "from basin.compute.local._limits import MemoryLimiter as M; l = M(); \
print('replica memory limits here:', l.mechanism); l.close()" 2>&1
} 2>&1 | tee "$out/machine.txt"
# The resources tests: CPU affinity, memory limits (cgroup v2 where the kernel offers it, as
# the supervisor chooses), simulated and real GPUs.
"$PYTHON" -m pytest -p no:cacheprovider --confcutdir=tests/integration/compute -rs -v \
    tests/integration/compute/test_compute_resources.py 2>&1 | tee "$out/resources.txt"
exit "${PIPESTATUS[0]}"
