"""The Ray compute back end: replicas as Ray actors on an existing cluster (``basin[ray]``).

Importing this package imports Ray; ``basin.compute.open_compute`` imports it only for a
``ray://`` URL, so basin runs without the extra.
"""

from __future__ import annotations

import os

# Ray starts a cluster of its own on this machine when one of its calls finds no connection up
# (its "auto-init", read when Ray is imported): a server whose cluster is out of reach started
# one per reconcile, dozens of leaked heads. basin talks only to the cluster BASIN_COMPUTE names.
os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")

from basin.compute.ray.backend import RayCompute  # (after the setting above)

__all__ = ["RayCompute"]
