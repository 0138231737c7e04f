"""What a build reports: its state, its progress events, the environment it made."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["BuildEvent", "BuildState", "BuildStatus", "BuiltEnvironment"]


class BuildState(enum.StrEnum):
    """Azure ML's build states."""

    NOT_STARTED = "NotStarted"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


EventKind = Literal["state", "step", "output", "warning"]


@dataclass(frozen=True)
class BuildEvent:
    """Progress a CLI can show.

    kind ``state``: ``state`` is set (Running, Succeeded, Failed); ``step``: a phase begins
    (message says which); ``output``: one line uv printed (redacted); ``warning``: something
    the user should know (e.g. a stand-in Python version).
    """

    key: str
    kind: EventKind
    message: str
    state: BuildState | None = None


@dataclass(frozen=True)
class BuildStatus:
    state: BuildState
    message: str | None  # the failure message for Failed
    log_path: Path


@dataclass(frozen=True)
class BuiltEnvironment:
    """A ready virtual environment in the build cache."""

    key: str  # the content hash
    path: Path  # the venv's root
    python: Path  # its interpreter
    python_version: str  # X.Y.Z
    site_packages: Path
    lock: str  # the exact resolved requirements (uv pip compile output)
    log_path: Path
    cache_hit: bool  # True when this call built nothing
    warnings: tuple[str, ...] = ()
