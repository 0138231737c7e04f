"""``make demo``: the main journey on the embedded defaults, printed as a transcript.

A server starts on this machine (SQLite for metadata, a local folder for blobs, local processes
for replicas), then, with the real ``basin`` CLI: a workspace; a storage account and container
with a text file; a scikit-learn model; an endpoint with a system-assigned identity given Storage
Blob Data Reader on that account; a deployment ``blue`` (from ``examples/managed-identity``)
whose ``init()`` reads the file through ``ManagedIdentityCredential`` + ``BlobClient`` and loads
the model; all traffic to it; an invocation; the log lines that show the file's content. Then the
server stops. State lives in ``.basin-demo/`` (made fresh each run).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from basin.testing import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "managed-identity"
HOME = Path(".basin-demo").resolve()
GREETING = "Hello from blob storage, read with a managed identity!"


def _basin(server: ServerProcess, *args: str, show: bool = True) -> str:
    """Run one real CLI command as a user would, echoing it and its output."""
    if show:
        print(f"\n$ basin {shlex.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "basin", *args],
        env=server.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if show and (done.stdout.strip() or done.stderr.strip()):
        print(done.stdout.rstrip() or done.stderr.rstrip(), flush=True)
    if done.returncode != 0:
        raise SystemExit(f"demo step failed: basin {shlex.join(args)}\n{done.stderr}")
    return done.stdout.strip()


def _prepare(work: Path) -> None:
    shutil.copytree(EXAMPLE, work)
    subprocess.run([sys.executable, "train.py"], cwd=work, check=True)
    (work / "greeting.txt").write_text(GREETING)


def main() -> int:
    shutil.rmtree(HOME, ignore_errors=True)
    work = HOME / "work"
    print(f"Starting basin server (state in {HOME}) ...", flush=True)
    with ServerProcess(
        HOME / "home", extra_env={"BASIN_BUILD_CACHE": str(HOME / "build-cache")}
    ) as server:
        print(f"basin server is up at {server.url}", flush=True)
        _prepare(work)
        account = f"demostore{os.getpid() % 100000}"
        ws = ("-g", "demo-rg", "-w", "demo-ws")
        _basin(server, "group", "create", "-n", "demo-rg", "-o", "none")
        _basin(
            server,
            "workspace",
            "create",
            "-n",
            "demo-ws",
            "-g",
            "demo-rg",
            "--query",
            "[name, storage_account]",
        )
        _basin(
            server,
            "storage",
            "account",
            "create",
            "-n",
            account,
            "-g",
            "demo-rg",
            "--query",
            "primaryEndpoints.blob",
            "-o",
            "tsv",
        )
        _basin(
            server,
            "storage",
            "container",
            "create",
            "-n",
            "data",
            "--account-name",
            account,
            "-g",
            "demo-rg",
        )
        _basin(
            server,
            "storage",
            "blob",
            "upload",
            "-n",
            "greeting.txt",
            "-c",
            "data",
            "--account-name",
            account,
            "-g",
            "demo-rg",
            "-f",
            str(work / "greeting.txt"),
            "-o",
            "none",
        )
        _basin(
            server,
            "model",
            "create",
            "-n",
            "sklearn-regression",
            "-v",
            "1",
            "--path",
            str(work / "model"),
            *ws,
            "--query",
            "[name, version, path]",
        )
        _basin(
            server,
            "online-endpoint",
            "create",
            "-f",
            str(work / "endpoint.yml"),
            *ws,
            "--query",
            "{scoring_uri: scoring_uri, identity: identity}",
        )
        principal = _basin(
            server,
            "online-endpoint",
            "show",
            "-n",
            "demo-endpoint",
            *ws,
            "--query",
            "identity.principal_id",
            "-o",
            "tsv",
            show=False,
        )
        scope = _basin(
            server,
            "storage",
            "account",
            "show",
            "-n",
            account,
            "-g",
            "demo-rg",
            "--query",
            "id",
            "-o",
            "tsv",
            show=False,
        )
        _basin(
            server,
            "role",
            "assignment",
            "create",
            "--assignee-object-id",
            principal,
            "--role",
            "Storage Blob Data Reader",
            "--scope",
            scope,
            "--query",
            "[roleDefinitionName, scope]",
        )
        started = time.monotonic()
        _basin(
            server,
            "online-deployment", "create", "-f", str(work / "blue.yml"), "--all-traffic", *ws,
            "--set", f"environment_variables.STORAGE_ACCOUNT_NAME={account}",
            "--set", "environment_variables.STORAGE_CONTAINER_NAME=data",
            "--set", "environment_variables.FILE_NAME=greeting.txt",
            "--query", "[name, provisioning_state, instance_count]",
        )  # fmt: skip
        print(
            f"(deployment ready {time.monotonic() - started:.1f} s after the create call, environment build included)"
        )
        _basin(server, "online-endpoint", "show", "-n", "demo-endpoint", *ws, "--query", "traffic")
        answer = _basin(
            server,
            "online-endpoint",
            "invoke",
            "-n",
            "demo-endpoint",
            "--request-file",
            str(work / "sample-request.json"),
            *ws,
        )
        predictions = json.loads(json.loads(answer))  # az prints the answer as a JSON string
        print(f"Predictions for the two rows: {predictions}")
        logs = _basin(
            server,
            "online-deployment",
            "get-logs",
            "-n",
            "blue",
            "-e",
            "demo-endpoint",
            *ws,
            show=False,
        )
        print("\n$ basin online-deployment get-logs -n blue -e demo-endpoint ... | grep storage")
        read = [line for line in logs.splitlines() if "Read from storage" in line]
        print("\n".join(read) or "(the log line was not found)")
        if len(read) < 2 or not all(GREETING in line for line in read):
            raise SystemExit("demo failed: the scoring script did not log the blob's content")
        print("\nStopping the server (its replicas stop with it) ...", flush=True)
    print("Done: the server stopped cleanly.")
    return 0


if __name__ == "__main__":
    os.environ.pop("BASIN_SERVER", None)
    sys.exit(main())
