"""The gateway's request path compiled to C with mypyc, used only while it matches its sources.

``make`` compiles the modules in ``COMPILED`` into ``_compiled/`` beside them
(``scripts/compile_gateway.py``; mypyc ships in mypy, and the code is already ``mypy --strict``
clean). A request then costs the gateway about a fifth less CPU (bench/hop.py). The package
imports the compiled modules only while each source's digest is the one recorded when they were
built, for this interpreter, so an edited ``.py`` is never shadowed by a stale build; else, or
where there is no C compiler, or with ``BASIN_GATEWAY_COMPILED=0``, the same modules run as
plain Python.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path

__all__ = [
    "COMPILED",
    "FOLDER",
    "GROUP",
    "PACKAGE",
    "STAMP",
    "can_build",
    "enable",
    "interpreter",
    "source_digests",
    "why_not",
]

#: The modules of the request path (``basin.gateway.<name>``), compiled together.
COMPILED = (
    "app",
    "balance",
    "flow",
    "front",
    "metrics",
    "proxy",
    "records",
    "replies",
    "upstream",
)
#: The package compiled, and where its compiled modules are: put first on the package's
#: ``__path__`` when current.
PACKAGE = Path(__file__).with_name("gateway")
FOLDER = PACKAGE / "_compiled"
#: mypyc's group name: its shared library is the module ``basin.gateway._compiled__mypyc``.
GROUP = "basin.gateway._compiled"
STAMP = "stamp.json"
SWITCH = "BASIN_GATEWAY_COMPILED"


def interpreter() -> str:
    """What a build is only good for: this Python's version and extension module suffix."""
    return f"{sys.implementation.cache_tag} {importlib.machinery.EXTENSION_SUFFIXES[0]}"


def can_build() -> bool:
    """Whether this machine has what a build needs: a C compiler and this Python's headers."""
    compiler = os.environ.get("CC", "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return shutil.which(compiler) is not None and headers.is_file()


def source_digests(package: Path) -> dict[str, str]:
    """The SHA-256 of each compiled module's source in ``package``."""
    return {
        name: hashlib.sha256((package / f"{name}.py").read_bytes()).hexdigest() for name in COMPILED
    }


def why_not(folder: Path, package: Path) -> str | None:
    """Why the build in ``folder`` must not be used for the sources in ``package`` (None: it
    may)."""
    if os.environ.get(SWITCH, "1") == "0":
        return f"{SWITCH}=0"
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return "not compiled (make compiles it)"
    if not isinstance(stamp, dict) or stamp.get("interpreter") != interpreter():
        return "compiled for another Python"
    if stamp.get("sources") != source_digests(package):
        return "its sources changed since it was compiled (make compiles it again)"
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    missing = [
        n for n in (*COMPILED, "_compiled__mypyc") if not (folder / f"{n}{suffix}").is_file()
    ]
    if missing:
        return f"the build lacks {', '.join(missing)}"
    return None


#: Why the gateway runs as plain Python in this process (None: it runs compiled).
PLAIN_BECAUSE: str | None = "not checked yet"


def enable(package_path: list[str]) -> bool:
    """Put the compiled modules first on ``package_path`` (the package's ``__path__``) if they
    are current; says whether they were."""
    global PLAIN_BECAUSE
    PLAIN_BECAUSE = why_not(FOLDER, PACKAGE)
    if PLAIN_BECAUSE is None and str(FOLDER) not in package_path:
        package_path.insert(0, str(FOLDER))
    return PLAIN_BECAUSE is None
