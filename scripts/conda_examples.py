"""Measure basin's conda translation on Azure ML's example conda files (docs/architecture.md).

    .venv/bin/python scripts/conda_examples.py --examples <azureml-examples checkout or git dir>

Every conda file under ``cli/endpoints/online`` and ``sdk/python/endpoints/online`` is read the
way basin reads it (one row per distinct content). Each is resolved with uv for its pinned Python;
where basin's numpy bound changes the requirements, both versions (with and without the bound)
are installed into throwaway venvs and every top-level module of the requested packages is
imported. Prints a table; downloads from PyPI (the shared uv cache keeps repeats cheap).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from basin.envbuild import (
    find_pythons,
    parse_conda_file,
    select_python,
)
from basin.envbuild._uv import base_environment
from basin.errors import ValidationError

ROOTS = ("cli/endpoints/online", "sdk/python/endpoints/online")
UV = str(Path(sys.executable).parent / "uv")
IMPORT_ALL = """
import importlib, importlib.metadata as m, json, re, sys
wanted = {re.sub(r"[-_.]+", "-", n).lower() for n in json.loads(sys.argv[1])}
failed = {}
tops = {}
for dist in m.distributions():  # packages_distributions() is Python 3.10+
    name = re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower()
    if name not in wanted:
        continue
    files = [str(f) for f in dist.files or ()]
    # Importable top-level names: packages (an __init__.py) and modules, as installed.
    found = {f.split("/")[0] for f in files if f.count("/") == 1 and f.endswith("/__init__.py")}
    found |= {f[:-3] for f in files if "/" not in f and f.endswith(".py")}
    for top in found:
        if top.isidentifier() and not top.startswith("_") and top not in ("tests", "setup"):
            tops[top] = name
for top in sorted(tops):
    try:
        importlib.import_module(top)
    except Exception as ex:
        failed[top] = f"{type(ex).__name__}: {str(ex).splitlines()[0][:120]}"
print(json.dumps(failed))
"""


def _files(examples: Path) -> dict[str, str]:
    """path -> content of every conda file of the online-endpoint examples."""
    git = ["git", "-C", str(examples)]
    listing = subprocess.run(
        [*git, "ls-tree", "-r", "--name-only", "HEAD", *ROOTS],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = {}
    for path in listing:
        if not path.endswith((".yml", ".yaml")):
            continue
        text = subprocess.run(
            [*git, "show", f"HEAD:{path}"], capture_output=True, text=True, check=True
        ).stdout
        if "dependencies:" in text and "$schema" not in text and "python_env" not in path:
            found[path] = text
    return found


def _uv(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([UV, *args], capture_output=True, text=True, env=env, check=False)


def _imports(python: str, requirements: list[str], env: dict[str, str]) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        _uv("venv", "--quiet", "--python", python, str(venv), env=env)
        installed = _uv(
            "pip", "install", "--python", str(venv / "bin/python"), *requirements, env=env
        )
        if installed.returncode != 0:
            return "does not install: " + installed.stderr.strip().splitlines()[-1][:100]
        names = [r.split("[")[0].split("=")[0].split("<")[0].split(">")[0] for r in requirements]
        done = subprocess.run(
            [str(venv / "bin/python"), "-c", IMPORT_ALL, json.dumps(names)],
            capture_output=True,
            text=True,
            check=False,
        )
        failed = json.loads(done.stdout or "{}") if done.returncode == 0 else {"?": done.stderr}
        return (
            "imports"
            if not failed
            else "fails to import: " + "; ".join(f"{k} ({v})" for k, v in sorted(failed.items()))
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=Path, required=True)
    parser.add_argument(
        "--import-all",
        action="store_true",
        help="install and import every file, not only changed ones",
    )
    args = parser.parse_args()
    env = base_environment(Path(tempfile.gettempdir()) / "basin-conda-examples-uv-cache")
    env["UV_PYTHON_DOWNLOADS"] = "never"
    pythons = find_pythons(Path(UV), env)
    by_content: dict[str, list[str]] = {}
    for path, text in sorted(_files(args.examples).items()):
        by_content.setdefault(text, []).append(path)
    print("| conda file(s) | python | numpy bound | without the bound | with it |")
    print("|---|---|---|---|---|")
    for text, paths in by_content.items():
        names = "<br>".join(paths)
        try:
            conda = parse_conda_file(text)
            chosen, _ = select_python(conda.python or "3.11", pythons, allow_nearest=False)
        except ValidationError as ex:
            print(f"| {names} | | | refused: {ex.message[:100]} | |")
            continue
        assert chosen is not None
        if chosen.version[:2] < (3, 8):
            print(
                f"| {names} | {chosen.minor_text} | | refused: the scoring runtime needs 3.8+ | |"
            )
            continue
        bounded = "numpy<2" in conda.requirements and not text.count("numpy<2")
        plain = [r for r in conda.requirements if r != "numpy<2"] if bounded else None
        version = chosen.minor_text
        if plain is None and args.import_all:
            print(
                f"| {names} | {version} | no | {_imports(chosen.path, conda.requirements, env)} | (same) |"
            )
            continue
        if plain is None:
            compiled = subprocess.run(
                [UV, "pip", "compile", "-", "--python-version", version, "--no-header", "-q"],
                input="\n".join(conda.requirements) + "\n",
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            state = "resolves" if compiled.returncode == 0 else "does not resolve"
            print(f"| {names} | {version} | no | {state} | (same) |")
            continue
        before = _imports(chosen.path, plain, env)
        after = _imports(chosen.path, conda.requirements, env)
        print(f"| {names} | {version} | numpy<2 | {before} | {after} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
