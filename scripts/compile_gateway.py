"""Compile the gateway's request path with mypyc into src/basin/gateway/_compiled (make runs it).

    python scripts/compile_gateway.py [--force]

Does nothing while the build there is current (``basin.native`` decides). The new build
is made aside and renamed into place, so a running gateway keeps the modules it loaded and a
failed build leaves the last one. Where it cannot build (no C compiler), it says so and exits 0:
the gateway then runs as plain Python, only slower.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

from basin import native

ROOT = Path(__file__).resolve().parent.parent


def build(work: Path) -> Path:
    """Compile into a folder under ``work``; returns that folder, stamped."""
    from mypyc.build import mypycify  # build-time only: mypy ships mypyc
    from setuptools import Distribution

    # The digests of what is compiled, taken before: a source edited meanwhile is not current.
    stamp = {"interpreter": native.interpreter(), "sources": native.source_digests(native.PACKAGE)}
    names: tuple[str, ...] = native.COMPILED
    sources = [str(native.PACKAGE / f"{name}.py") for name in names]
    # Imports beyond these modules are not followed: their types count as Any here, and mypy
    # checked them all already (make lint).
    options = ["--config-file", str(ROOT / "pyproject.toml"), "--follow-imports=skip"]
    extensions = mypycify(
        [*options, *sources],
        opt_level="3",
        group_name=native.GROUP,
        target_dir=str(work / "c"),
    )
    distribution = Distribution({"name": "basin-gateway-compiled", "ext_modules": extensions})
    command = distribution.get_command_obj("build_ext")
    command.build_lib = str(work / "lib")
    command.build_temp = str(work / "tmp")
    distribution.run_command("build_ext")
    made = work / "lib" / "basin" / "gateway"
    (made / native.STAMP).write_text(json.dumps(stamp, indent=2))
    return made


def _not_built(why: str) -> int:
    """Say why nothing was built and what the gateway runs then; never fails make."""
    kept = native.why_not(native.FOLDER, native.PACKAGE) is None
    then = "the current build stays" if kept else "the gateway runs as plain Python"
    print(f"warning: the gateway was not compiled ({why}); {then}.", file=sys.stderr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="build even if the build is current")
    args = parser.parse_args()
    folder = native.FOLDER
    reason = native.why_not(folder, native.PACKAGE)
    if reason is None and not args.force:
        print("The gateway's compiled request path is current.")
        (folder / native.STAMP).touch()  # newer than the sources make compares it with
        return 0
    if not native.can_build():
        return _not_built("no C compiler or Python headers here")
    print("Compiling the gateway's request path with mypyc (about half a minute) ...", flush=True)
    staging = ROOT / "build"  # (ignored by git; on the same file system as the package)
    staging.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gateway-", dir=staging) as work:
        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                made = build(Path(work))
        except (Exception, SystemExit) as ex:  # distutils ends a failed compile with SystemExit
            print(output.getvalue()[-4000:], file=sys.stderr)
            return _not_built(f"the build failed: {ex}")
        old = Path(work) / "old"
        if folder.exists():
            folder.rename(old)
        made.rename(folder)  # the old build goes with the staging folder
    why = native.why_not(folder, native.PACKAGE)
    print("The gateway's request path is compiled." if why is None else f"warning: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
