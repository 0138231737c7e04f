"""The Python SDK: ``MLClient`` and its operations groups, over HTTP."""

from basin.sdk.client import MLClient
from basin.sdk.poller import BasinPoller

__all__ = ["BasinPoller", "MLClient"]
