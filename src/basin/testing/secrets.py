"""A secret scan for tests: every secret a test made, looked for wherever it must not be.

Tests ``record`` each secret as it is made (its value, what kind it is), then hand the scan what
they saw: files under a server's home, the argv and environment of the server's processes,
every API response. ``Secrets.findings`` lists each place a secret was found where the rules
below do not allow it; a test asserts it is empty.

Where a secret may appear (docs/architecture.md, "Secrets: where each may appear"):

* in the one API response that exists to return it (the test says which responses those are
  when it records the secret: ``returned_by``, a predicate over method and path);
* a feed connection's PAT: in the environment of the ``uv`` processes that build with it and
  of what they start (uv reads index credentials from its environment only, and its children
  inherit that environment: interpreter probes, build back ends);
* a replica's ``MSI_SECRET``: in the environment of that replica's processes, under that name
  (as in Azure ML: the managed identity protocol hands it to the scoring script that way);
* the admin's API token: in ``$BASIN_HOME/credentials.json`` (mode 0600), whose job it is.

Everything else is a finding: any file under the home (logs, build logs, the routing table, the
request log, the database and its WAL, blob data), any argv, any other environment variable
or process, any other response.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from basin.testing.hygiene import ProcessView

__all__ = ["Finding", "ReturnedBy", "Secret", "Secrets"]

#: (method, path) -> whether this response is meant to return the secret.
ReturnedBy = Callable[[str, str], bool]


def _never(_method: str, _path: str) -> bool:
    return False


@dataclass(frozen=True)
class Secret:
    kind: str  # e.g. "endpoint key", "connection PAT", "MSI secret"
    value: str
    returned_by: ReturnedBy = _never
    #: Environment variable names (regular expressions) that may hold it, with the argv
    #: pattern a process must have for that (e.g. uv builds: r"/uv$", replicas: "basin.runtime").
    environment: tuple[tuple[str, str], ...] = ()
    files: tuple[str, ...] = ()  # names under the home that may hold it


@dataclass(frozen=True)
class Finding:
    kind: str
    where: str

    def __str__(self) -> str:
        return f"{self.kind} found in {self.where}"


@dataclass
class Secrets:
    recorded: list[Secret] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: How often each secret was seen where it is allowed (a scan that never sees even those
    #: looked in the wrong place).
    allowed_sightings: dict[str, int] = field(default_factory=dict)

    def record(self, secret: Secret) -> Secret:
        if len(secret.value) < 8:
            raise ValueError(f"a {secret.kind} shorter than 8 characters cannot be scanned for")
        self.recorded.append(secret)
        return secret

    def _allowed(self, secret: Secret) -> None:
        self.allowed_sightings[secret.kind] = self.allowed_sightings.get(secret.kind, 0) + 1

    # ------------------------------------------------------------------------------ files
    def scan_files(self, home: Path, *, extra_roots: Iterable[Path] = ()) -> None:
        """Every file under ``home`` (and ``extra_roots``, e.g. a build cache kept elsewhere)."""
        needles = [(s, s.value.encode()) for s in self.recorded]
        for root in (home, *extra_roots):
            for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
                try:
                    data = path.read_bytes()
                except OSError:
                    continue  # gone meanwhile, or a socket
                relative = path.relative_to(root).as_posix()
                for secret, needle in needles:
                    if needle in data:
                        if relative in secret.files and root == home:
                            self._allowed(secret)
                        else:
                            self.findings.append(Finding(secret.kind, f"file {path}"))

    # -------------------------------------------------------------------------- processes
    def scan_processes(self, views: Iterable[ProcessView]) -> None:
        """Processes seen together: a variable allowed in a program's environment is allowed
        in the processes that program started too (they inherit it: e.g. the interpreters and
        build back ends uv runs)."""
        views = list(views)
        argvs: dict[int, list[str]] = {}
        parents: dict[int, int] = {}
        for view in views:
            argvs.setdefault(view.pid, []).append(" ".join(view.argv))
            parents[view.pid] = view.ppid
        for view in views:
            lineage: list[tuple[int, list[str]]] = []
            pid = view.pid
            while pid in argvs and pid not in (p for p, _ in lineage):
                lineage.append((pid, argvs[pid]))
                pid = parents[pid]
            self.scan_process(view, [argv for _, each in lineage for argv in each])

    def scan_process(self, view: ProcessView, lineage: list[str] | None = None) -> None:
        """``lineage``: the argv of the process and of its known ancestors (default: its own)."""
        argv = " ".join(view.argv)
        programs = lineage or [argv]
        for secret in self.recorded:
            if secret.value in argv:
                self.findings.append(Finding(secret.kind, f"argv of pid {view.pid}: {argv[:120]}"))
            for name, value in view.environ.items():
                if secret.value not in value and secret.value not in name:
                    continue
                if any(
                    re.fullmatch(var, name) and any(re.search(program, p) for p in programs)
                    for var, program in secret.environment
                ):
                    self._allowed(secret)
                else:
                    self.findings.append(
                        Finding(
                            secret.kind,
                            f"environment variable {name} of pid {view.pid} ({argv[:100]})",
                        )
                    )

    # -------------------------------------------------------------------------- responses
    def scan_response(self, method: str, path: str, body: bytes) -> None:
        for secret in self.recorded:
            if secret.value.encode() not in body:
                continue
            if secret.returned_by(method.upper(), path):
                self._allowed(secret)
            else:
                self.findings.append(Finding(secret.kind, f"the response to {method} {path}"))

    def scan_text(self, text: str, where: str) -> None:
        """Text a test captured (e.g. the server's own output)."""
        for secret in self.recorded:
            if secret.value in text:
                self.findings.append(Finding(secret.kind, where))
