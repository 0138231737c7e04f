"""Helpers for tests: a real ``basin server`` process and the CLI run in-process or as a process."""

from basin.testing.server import ServerProcess

__all__ = ["ServerProcess"]
