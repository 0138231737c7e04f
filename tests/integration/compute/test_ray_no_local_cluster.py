"""The Ray back end never starts a Ray cluster of its own on the server's machine."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("ray")

# What the server does when its cluster is out of reach: a Ray call with no connection up
# (ray.get_actor is one of the calls Ray "auto-inits" a local cluster for, as ray.get is).
_CALL_WITHOUT_A_CONNECTION = """
import basin.compute.ray, ray
try:
    ray.get_actor("replica", namespace="basin")
except Exception as error:
    print("refused:", type(error).__name__)
print("started a cluster:", ray.is_initialized())
"""


def test_a_ray_call_without_a_connection_starts_no_local_cluster() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    done = subprocess.run(
        [sys.executable, "-c", _CALL_WITHOUT_A_CONNECTION],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "refused: RaySystemError" in done.stdout, done.stdout + done.stderr
    assert "started a cluster: False" in done.stdout
