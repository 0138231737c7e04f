"""The local compute back end: replicas as processes on this machine (``LocalSupervisor``)."""

from __future__ import annotations

from basin.compute.local.supervisor import LocalSupervisor

__all__ = ["LocalSupervisor"]
