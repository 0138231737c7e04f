"""Run the online-endpoint examples of Azure/azureml-examples against basin, as written.

    .venv/bin/python scripts/azureml_examples.py [--repo PATH] [--only NAME] [--readme]

Takes the CLI scripts (``cli/deploy-*.sh``, ``cli/endpoints/online/**/*.sh``) and the notebooks
(``sdk/python/endpoints/online/**/*.ipynb``) from a snapshot of the repository (by default the
bare git directory the research tools fetched, ``/work/.mirror/Azure+azureml-examples/repo``,
or any clone), and runs each against a real basin server it starts (a group, a workspace and
``configure --defaults``, as the examples' own setup script does, and ``eval "$(basin env)"``,
as basin's README asks of a shell) with only these changes:

* scripts: ``az ml`` -> ``basin`` and ``az`` -> ``basin``;
* notebooks: ``azure.ai.ml`` -> ``basin`` in imports, the workspace placeholders
  (``<SUBSCRIPTION_ID>``, ``<RESOURCE_GROUP>``, ``<AML_WORKSPACE_NAME>``) filled in as a user
  does, and IPython's ``%``/``!`` lines left out; what their ``%pip install`` lines ask for
  (but azure-ai-ml, which basin replaces) is installed for them, as the cell would, and ``az`` is
  ``basin`` on their PATH (azure-identity's ``AzureCliCredential`` runs ``az``), as in scripts.

Each example that does not pass gets a reason: out of scope (Docker build contexts and custom
containers, Triton, Kubernetes, virtual networks and VMs, models downloaded from the internet),
what basin does not do (said plainly), or the first error basin printed. ``--readme`` writes
the table into README.md between the azureml-examples markers.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REPO = Path("/work/.mirror/Azure+azureml-examples/repo")
GROUP, WORKSPACE = "rg-examples", "ws-examples"
START, END = "<!-- azureml-examples:start -->", "<!-- azureml-examples:end -->"

#: (pattern over the example's path, reason): not run, out of the issue's scope by what it is.
OUT_OF_SCOPE = [
    (r"triton", "out of scope: Triton"),
    (r"kubernetes|k8s", "out of scope: Kubernetes online endpoints"),
    (r"vnet|setup_vm", "out of scope: virtual networks and VMs"),
    (r"custom-container", "out of scope: custom containers (Docker images)"),
    (r"mlcompute", "out of scope: compute clusters (basin runs on its own compute)"),
    (r"migration|migrate", "out of scope: SDK v1 migration"),
    (r"deploy-with-packages", "out of scope: model packages (a container image build)"),
    (r"debug-online-endpoints-locally-in-visual-studio-code", "out of scope: VS Code debugging"),
]
#: (pattern over a failed example's own lines, comments left out; reason): out of scope by
#: what it does, said only when it fails.
OUT_OF_SCOPE_CONTENT = [
    (
        r"docker build|^\s*build:|BuildContext\(|dockerfile_path",
        "out of scope: a Docker build context",
    ),
    (
        r"wget |curl [^|\n]*(-o|-O|--output) |azcopy|huggingface|git clone",
        "out of scope: a model downloaded from the internet",
    ),
]
#: What a reader should know of an example that passes.
PASS_NOTES = {
    "cli/deploy-rest.sh": "its scoring call answers 404, as Azure's does: the script gives the "
    "deployment no traffic (and, with no `set -e`, goes on)",
}
#: (pattern over the output of a failed run, reason): what basin does not do, said plainly.
KNOWN = [
    (r"No such command 'monitor'", "out of scope: Azure Monitor autoscale (az monitor)"),
    (r"No such command '([\w-]+)'", "basin has no such az command"),
    (
        r"aka\.ms|githubusercontent\.com|github\.com/|huggingface\.co",
        "out of scope: data or a model downloaded from the internet",
    ),
    (
        r"Python 3\.7 is too old",
        "its conda file pins `python=3.7`, older than basin's scoring runtime supports (3.8 and "
        "newer); it passes with `--pin-python 3.8`",
    ),
    (
        r"No interpreter|Python 3\.\d+ is not installed",
        "the Python its conda file pins is not on this machine",
    ),
]


@dataclass
class Outcome:
    name: str
    kind: str
    passed: bool
    reason: str
    seconds: float


def export(repo: Path, target: Path) -> None:
    """The snapshot's ``cli`` and online-endpoint notebooks under ``target`` (git or folder).

    From git, file by file: a fetched snapshot may lack its largest files (images, model
    weights), which are left out (the examples that need them fail, and say so)."""
    paths = ["cli", "sdk/python/endpoints/online", "sdk/python/assets"]
    if not ((repo / "HEAD").is_file() or (repo / ".git").exists()):
        for path in paths:
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "-r", str(repo / path), str(target / path)], check=True)
        return
    git = ["git", "-C", str(repo)]
    listing = subprocess.run(
        [*git, "ls-tree", "-r", "-z", "HEAD", *paths], check=True, capture_output=True
    ).stdout.decode()
    entries = []
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":
            entries.append((mode, sha, path))
    batch = subprocess.run(
        [*git, "cat-file", "--batch"],
        input="".join(f"{sha}\n" for _, sha, _ in entries).encode(),
        capture_output=True,
        check=True,
    ).stdout
    stream = io.BytesIO(batch)
    for mode, _, path in entries:
        header = stream.readline().decode().split()
        if len(header) < 3 or header[1] == "missing":
            continue
        data = stream.read(int(header[2]))
        stream.read(1)  # the newline after each object
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
        if mode == "100755":
            destination.chmod(0o755)


def pin_python(tree: Path, version: str) -> None:
    for path in [*tree.rglob("*.yml"), *tree.rglob("*.yaml")]:
        text = path.read_text(errors="replace")
        pinned = re.sub(
            r"(^\s*-\s*python\s*)[=<>~!]=?\s*[\d.*]+", rf"\g<1>={version}", text, flags=re.M
        )
        if pinned != text:
            path.write_text(pinned)


def examples(tree: Path) -> list[Path]:
    cli = tree / "cli"
    found = sorted(cli.glob("deploy-*.sh")) + sorted((cli / "endpoints" / "online").rglob("*.sh"))
    found += sorted((tree / "sdk" / "python" / "endpoints" / "online").rglob("*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def notebook_script(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    lines: list[str] = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", []))
        for line in source.splitlines():
            stripped = line.lstrip()
            lines.append(
                "pass  # (IPython line left out)" if stripped.startswith(("%", "!")) else line
            )
        lines.append("")
    return "\n".join(lines)


def pip_installs(path: Path) -> tuple[list[str], bool]:
    """What a notebook's ``%pip install`` lines ask for (azure-ai-ml aside: basin replaces it),
    and whether they allow pre-releases (``--pre``)."""
    wanted: list[str] = []
    pre = False
    for cell in json.loads(path.read_text())["cells"]:
        if cell.get("cell_type") != "code":
            continue
        for line in "".join(cell.get("source", [])).splitlines():
            words = shlex.split(line.strip()) if line.strip().startswith(("%pip", "!pip")) else []
            if words[1:2] != ["install"]:
                continue
            pre = pre or "--pre" in words
            wanted += [w for w in words[2:] if not w.startswith("-") and "azure-ai-ml" not in w]
    return wanted, pre


def kernel_packages(path: Path, root: Path) -> Path | None:
    """A folder with the notebook's ``%pip install`` packages (for PYTHONPATH), made once per
    set of packages; None when it asks for none."""
    wanted, pre = pip_installs(path)
    if not wanted:
        return None
    folder = root / ("-".join(sorted(wanted)) + ("-pre" if pre else ""))
    if not folder.exists():
        command = [str(Path(sys.executable).parent / "uv"), "pip", "install", "--quiet"]
        command += ["--python", sys.executable, "--target", str(folder), *wanted]
        subprocess.run(command + (["--prerelease", "allow"] if pre else []), check=True)
    return folder


def substitute_script(text: str) -> str:
    return re.sub(r"\baz\b", "basin", re.sub(r"\baz ml\b", "basin", text))


def substitute_notebook(text: str, subscription: str) -> str:
    text = re.sub(r"\bazure\.ai\.ml\b", "basin", text)
    for placeholder, value in (
        ("<SUBSCRIPTION_ID>", subscription),
        ("<RESOURCE_GROUP>", GROUP),
        ("<AML_WORKSPACE_NAME>", WORKSPACE),
        ("<WORKSPACE_NAME>", WORKSPACE),
    ):
        text = text.replace(placeholder, value)
    return text


def first_error(output: str) -> str:
    for pattern in (r"^ERROR: .*$", r"^\w*(Error|Exception): .*$", r"^E: .*$"):
        found = re.findall(pattern, output, flags=re.M)
        if found:
            return found[-1].strip()[:240]
    tail = [line for line in output.strip().splitlines() if line.strip()]
    return (tail[-1].strip() if tail else "exited non-zero")[:240]


def classify(name: str) -> str | None:
    for pattern, reason in OUT_OF_SCOPE:
        if re.search(pattern, name, flags=re.I):
            return reason
    return None


def code_lines(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def run_one(
    path: Path, tree: Path, env: dict[str, str], subscription: str, timeout: int
) -> Outcome:
    name = str(path.relative_to(tree))
    kind = "notebook" if path.suffix == ".ipynb" else "script"
    text = notebook_script(path) if kind == "notebook" else path.read_text()
    reason = classify(name)
    if reason:
        return Outcome(name, kind, False, reason, 0.0)
    if kind == "notebook":
        runnable = path.with_suffix(".basin.py")
        runnable.write_text(substitute_notebook(text, subscription))
        command, cwd = [sys.executable, runnable.name], path.parent
        packages = kernel_packages(path, tree.parent / "kernel-packages")
        if packages is not None:
            env = env | {
                "PYTHONPATH": os.pathsep.join(filter(None, [str(packages), env.get("PYTHONPATH")]))
            }
    else:
        runnable = path.with_suffix(".basin.sh")
        runnable.write_text(substitute_script(text))
        command, cwd = ["bash", str(runnable)], tree / "cli"
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
        output, code = done.stdout + "\n" + done.stderr, done.returncode
    except subprocess.TimeoutExpired as expired:
        output = (
            (expired.stdout or b"").decode()
            if isinstance(expired.stdout, bytes)
            else str(expired.stdout or "")
        )
        output, code = output + f"\ntimed out after {timeout} s", -1
    seconds = time.monotonic() - started
    log = ROOT / "scripts" / ".azureml-examples-logs" / (name.replace("/", "__") + ".log")
    log.parent.mkdir(exist_ok=True)
    log.write_text(output)
    if code == 0:
        return Outcome(name, kind, True, "", seconds)
    for pattern, known in KNOWN:
        if re.search(pattern, output, flags=re.I):
            return Outcome(name, kind, False, known, seconds)
    for pattern, scope in OUT_OF_SCOPE_CONTENT:
        if re.search(pattern, code_lines(text), flags=re.I | re.M):
            return Outcome(name, kind, False, f"{scope} ({first_error(output)})", seconds)
    return Outcome(name, kind, False, first_error(output), seconds)


def table(outcomes: list[Outcome], pinned: str | None) -> str:
    passed = sum(o.passed for o in outcomes)
    ran = sum(o.seconds > 0 for o in outcomes)
    load = os.getloadavg()
    how = (
        f"with the conda files' Python pinned to {pinned} (not as written)"
        if pinned
        else "as written"
    )
    lines = [
        f"{passed} of {len(outcomes)} pass {how} ({datetime.date.today()}, load "
        f"{load[0]:.2f}; `.venv/bin/python scripts/azureml_examples.py"
        f"{' --pin-python ' + pinned if pinned else ''}`). Of the {ran} the harness runs (the "
        "others are out of scope by what they are), "
        f"{passed} pass; the logs of each run are in `scripts/.azureml-examples-logs/`.",
        "",
        "| example | passes | why not (or a note) |",
        "|---|:---:|---|",
    ]
    for o in outcomes:
        why = (PASS_NOTES.get(o.name, "") if o.passed else o.reason).replace("|", "\\|")
        why = why.replace("\n", " ")
        lines.append(f"| `{o.name}` | {'yes' if o.passed else 'no'} | {why} |")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    readme = ROOT / "README.md"
    current = readme.read_text()
    block = f"{START}\n{text}\n{END}"
    if START in current and END in current:
        current = current[: current.index(START)] + block + current[current.index(END) + len(END) :]
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    readme.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=DEFAULT_REPO)
    parser.add_argument("--only", action="append", help="Run only examples whose path has this.")
    parser.add_argument("--timeout", type=int, default=900, help="Seconds per example.")
    parser.add_argument("--readme", action="store_true", help="Write the table into README.md.")
    parser.add_argument(
        "--pin-python",
        metavar="X.Y",
        help="Diagnosis, not 'as written': rewrite the conda files' python=... to X.Y (a Python "
        "this machine has), to see what fails once issue 12's gap is out of the way.",
    )
    args = parser.parse_args()
    from basin.testing import ServerProcess
    from basin.testing.hygiene import processes_mentioning

    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "examples"
        tree.mkdir()
        export(args.repo, tree)
        found = examples(tree)
        if args.pin_python:
            pin_python(tree, args.pin_python)
        if args.only:
            found = [p for p in found if any(word in str(p) for word in args.only)]
        with ServerProcess(Path(tmp) / "home") as server:
            bin_dir = str(Path(sys.executable).parent)
            # `az` is basin for what runs it (AzureCliCredential), as scripts get az -> basin
            az_dir = Path(tmp) / "az-is-basin"
            az_dir.mkdir()
            (az_dir / "az").symlink_to(Path(bin_dir) / "basin")
            env = {k: v for k, v in os.environ.items() if not k.startswith("BASIN_")}
            path = os.pathsep.join([str(az_dir), bin_dir, env.get("PATH", "")])
            env.update(BASIN_HOME=str(server.home), PATH=path)

            def basin(*words: str) -> str:
                return subprocess.run(
                    ["basin", *words], env=env, check=True, capture_output=True, text=True
                ).stdout

            # What basin's README asks of a shell once: eval "$(basin env)" (Azure's host names
            # through basin's proxy, basin's CA), as `az login` is asked once for Azure.
            for line in basin("env").splitlines():
                name, _, value = line.removeprefix("export ").partition("=")
                if name and value:
                    env[name] = shlex.split(value)[0] if value.strip() else ""
            basin("group", "create", "-n", GROUP, "-l", "westeurope")
            basin("workspace", "create", "-n", WORKSPACE, "-g", GROUP)
            basin("configure", "--defaults", f"group={GROUP}", f"workspace={WORKSPACE}")
            subscription = basin("account", "show", "--query", "id", "-o", "tsv").strip()
            # The workspace's config.json, as a notebook user downloads it (MLClient.from_config).
            config = {
                "subscription_id": subscription,
                "resource_group": GROUP,
                "workspace_name": WORKSPACE,
            }
            (tree / "sdk" / "python" / "config.json").write_text(json.dumps(config))
            outcomes = []
            for path in found:
                outcome = run_one(path, tree, env, subscription, args.timeout)
                mark = "pass" if outcome.passed else "FAIL"
                print(
                    f"{mark} {outcome.name} ({outcome.seconds:.0f} s) {outcome.reason}", flush=True
                )
                outcomes.append(outcome)
        # Local endpoints an example left running (as its containers would run on in Docker)
        # go with this run's folder.
        for process in processes_mentioning(tmp):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
    text = table(outcomes, args.pin_python)
    print(text)
    if args.readme:
        write_readme(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
