"""The Ray compute back end: replicas as Ray actors on an existing cluster (``basin[ray]``).

Importing this package imports Ray; ``basin.compute.open_compute`` imports it only for a
``ray://`` URL, so basin runs without the extra.
"""

from __future__ import annotations

from basin.compute.ray.backend import RayCompute

__all__ = ["RayCompute"]
