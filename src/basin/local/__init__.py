"""Local endpoints (``--local``, ``local=True``): endpoints and deployments on this machine."""

from basin.local.endpoints import LocalEndpoints

__all__ = ["LocalEndpoints"]
