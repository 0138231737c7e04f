"""Python packages for tests: hand-made wheels and a private index (pypiserver with htpasswd)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from passlib.apache import HtpasswdFile

from basin.testing.ports import free_port

__all__ = ["PrivateIndex", "make_wheel", "start_pypiserver", "wait_until_up"]


def make_wheel(
    dest: Path,
    name: str,
    version: str,
    *,
    requires: tuple[str, ...] = (),
    scripts: dict[str, str] | None = None,
) -> Path:
    """Write a pure-Python wheel by hand (module ``<name>`` with VERSION and main())."""
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": (
            f"VERSION = {version!r}\n\ndef main() -> None:\n    print('hello from {name}')\n"
        ),
        f"{info}/METADATA": "Metadata-Version: 2.1\n"
        f"Name: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {req}\n" for req in requires),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: basin-tests\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if scripts:
        entries = "".join(f"{cmd} = {target}\n" for cmd, target in scripts.items())
        files[f"{info}/entry_points.txt"] = f"[console_scripts]\n{entries}"
    path = dest / f"{module}-{version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{member},sha256={digest.decode()},{len(data)}")
            archive.writestr(member, data)
        record.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def wait_until_up(url: str, process: subprocess.Popen[bytes], deadline_s: float = 60.0) -> None:
    """Readiness loop (not a timing assertion): poll until the server answers."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@dataclass(frozen=True)
class PrivateIndex:
    """A pypiserver that wants HTTP basic auth for listing and downloading."""

    url: str  # http://127.0.0.1:PORT/
    username: str
    token: str

    @property
    def simple(self) -> str:
        return self.url + "simple/"


def start_pypiserver(
    packages: Path, workdir: Path, username: str, token: str
) -> tuple[subprocess.Popen[bytes], PrivateIndex]:
    htpasswd = HtpasswdFile(str(workdir / "htpasswd"), new=True)
    htpasswd.set_password(username, token)
    htpasswd.save()
    port = free_port()
    argv = [
        sys.executable, "-m", "pypiserver", "run",
        "--host", "127.0.0.1", "--port", str(port),
        "--authenticate", "download,list",
        "--passwords", str(workdir / "htpasswd"),
        "--disable-fallback",
        str(packages),
    ]  # fmt: skip
    with open(workdir / "pypiserver.log", "wb") as log:  # the child keeps its own copy
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/health", process)
    return process, PrivateIndex(f"http://127.0.0.1:{port}/", username, token)
