"""az's grammar through the real CLI against a real server: several values after one flag,
list-index paths, --add/--remove, --ids, --endpoint, --no-wait, --yes, configured defaults,
idempotent re-runs; and the bugs found running the azureml-examples, each with its test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from basin.testing import ServerProcess
from tests.conftest import CliResult
from tests.e2e.test_workspaces_cli import fails

GROUP, WS = "rg-grammar", "ws-grammar"
AT = ("-g", GROUP, "-w", WS)

ECHO = """
import json, os

def init():
    print("init of", os.environ.get("LABEL"), "A=" + os.environ.get("A", ""), "B=" + os.environ.get("B", ""))
    flag = os.environ.get("NEEDS_FILE")
    if flag and not os.path.exists(flag):
        raise RuntimeError("the file " + flag + " is not there yet")

def run(raw_data):
    return {"deployment": os.environ.get("LABEL"), "echo": json.loads(raw_data or "{}")}
"""


def ok(result: CliResult) -> Any:
    assert result.code == 0, result.err
    return json.loads(result.out) if result.out.strip() else None


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("grammar")
    (root / "src").mkdir()
    (root / "src" / "score.py").write_text(ECHO)
    (root / "endpoint.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json\n"
        "name: placeholder\nauth_mode: key\n"
    )
    (root / "deployment.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
        "name: blue\nendpoint_name: placeholder\n"
        "code_configuration:\n  code: ./src\n  scoring_script: score.py\n"
        "environment:\n  image: basin:minimal\n"
        "instance_type: Standard_DS3_v2\ninstance_count: 1\n"
        "environment_variables:\n  LABEL: blue\n"
    )
    (root / "request.json").write_text('{"x": [1, 2]}')
    return root


@pytest.fixture(scope="module")
def setup(server: ServerProcess) -> ServerProcess:
    from tests.conftest import run_cli

    ok(run_cli(server.home, "group", "create", "-n", GROUP, "-l", "northeurope"))
    ok(run_cli(server.home, "workspace", "create", "-n", WS, "-g", GROUP))
    return server


def _endpoint(cli: Any, files: Path, name: str, *extra: str) -> Any:
    return ok(
        cli("online-endpoint", "create", "-n", name, "-f", str(files / "endpoint.yml"), *AT, *extra)
    )


def _deploy(cli: Any, files: Path, endpoint: str, name: str, *extra: str) -> Any:
    return ok(
        cli(
            "online-deployment", "create", "-n", name, "--endpoint", endpoint,
            "-f", str(files / "deployment.yml"), "--set", f"environment_variables.LABEL={name}",
            *AT, *extra,
        )
    )  # fmt: skip


def test_set_takes_several_items_and_list_indexes(
    setup: ServerProcess, cli: Any, files: Path
) -> None:
    uai = ok(cli("identity", "create", "-n", "uai-grammar", "-g", GROUP))
    endpoint = ok(
        cli(
            "online-endpoint", "create", "-n", "gr-uai", "-f", str(files / "endpoint.yml"), *AT,
            "--set", "identity.type=user_assigned",
            f"identity.user_assigned_identities[0].resource_id={uai['id']}", "tags.a=1",
        )
    )  # fmt: skip
    assert endpoint["identity"]["type"] == "user_assigned"
    assert endpoint["identity"]["user_assigned_identities"][0]["resource_id"] == uai["id"]
    assert endpoint["tags"] == {"a": "1"}
    # a new resource takes its group's location
    assert uai["location"] == "northeurope"


def test_deployment_grammar_set_update_add_remove_ids_logs(
    setup: ServerProcess, cli: Any, files: Path
) -> None:
    _endpoint(cli, files, "gr-main")
    made = _deploy(
        cli, files, "gr-main", "blue", "--set", "environment_variables.A=1",
        "environment_variables.B=two",
    )  # fmt: skip
    assert made["provisioning_state"] == "Succeeded"
    assert made["environment_variables"] == {"LABEL": "blue", "A": "1", "B": "two"}
    logs = cli(
        "online-deployment", "get-logs", "-n", "blue", "-e", "gr-main", *AT, "--lines", "200"
    )
    assert "init of blue A=1 B=two" in logs.out
    # --lines N: at most N lines; --container storage-initializer: the model/code layout
    two = cli("online-deployment", "get-logs", "-n", "blue", "-e", "gr-main", *AT, "-l", "2")
    assert two.code == 0 and len(two.out.strip().splitlines()) == 2
    init = cli(
        "online-deployment", "get-logs", "-n", "blue", "--endpoint", "gr-main", *AT,
        "--container", "storage-initializer",
    )  # fmt: skip
    assert init.code == 0 and "Downloading code azureml://" in init.out, init.out
    bad = cli("online-deployment", "get-logs", "-n", "blue", "-e", "gr-main", *AT, "-c", "sidecar")
    assert bad.code == 1 and "storage-initializer" in bad.err

    # update with --set alone (no -f), --remove and --add, applied in order on what it is now
    updated = ok(
        cli(
            "online-deployment", "update", "-n", "blue", "-e", "gr-main", *AT,
            "--set", "environment_variables.A=3", "tags.team=ml",
            "--remove", "environment_variables.B",
        )
    )  # fmt: skip
    assert updated["environment_variables"] == {"LABEL": "blue", "A": "3"}
    assert updated["tags"] == {"team": "ml"}
    deployment_id = updated["id"]
    # --ids instead of names
    shown = ok(cli("online-deployment", "show", "--ids", deployment_id))
    assert shown["name"] == "blue" and shown["environment_variables"]["A"] == "3"
    endpoint_id = ok(cli("online-endpoint", "show", "-n", "gr-main", *AT))["id"]
    tagged = ok(
        cli("online-endpoint", "update", "--ids", endpoint_id, "--set", "tags.x=1", "tags.y=2")
    )
    assert tagged["tags"] == {"x": "1", "y": "2"}
    untagged = ok(cli("online-endpoint", "update", "--ids", endpoint_id, "--remove", "tags.x"))
    assert untagged["tags"] == {"y": "2"}
    # an unknown path says what there is
    wrong = cli("online-deployment", "update", "--ids", deployment_id, "--set", "nope.x=1")
    assert wrong.code == 1 and "'nope' is not a known field" in wrong.err
    missing = cli("online-deployment", "update", "--ids", deployment_id, "--remove", "tags.nope")
    assert missing.code == 1 and "Couldn't find 'nope'" in missing.err and "team" in missing.err
    not_a_deployment = cli("online-deployment", "show", "--ids", endpoint_id)
    assert not_a_deployment.code == 1 and "not the id of a deployment" in not_a_deployment.err
    # invoke prints the answer as az does (a JSON string), ending with a newline
    answer = cli(
        "online-endpoint",
        "invoke",
        "-n",
        "gr-main",
        *AT,
        "-r",
        str(files / "request.json"),
        "-d",
        "blue",
    )
    assert answer.code == 0 and answer.out.endswith("\n")
    assert json.loads(json.loads(answer.out)) == {"deployment": "blue", "echo": {"x": [1, 2]}}
    raw = cli(
        "online-endpoint",
        "invoke",
        "-n",
        "gr-main",
        *AT,
        "-r",
        str(files / "request.json"),
        "-d",
        "blue",
        "-o",
        "tsv",
    )
    assert json.loads(raw.out)["deployment"] == "blue"
    # az (argparse) takes an unambiguous prefix of a long option: the ncd example's --deployment
    request = str(files / "request.json")
    short = cli("online-endpoint", "invoke", "--n", "gr-main", *AT, "--request", request,
                "--deployment", "blue", "--out", "tsv")  # fmt: skip
    assert short.code == 0, short.err
    assert json.loads(short.out)["deployment"] == "blue"
    shown = cli("online-endpoint", "show", "--na", "gr-main", *AT, "--que", "name", "--out", "tsv")
    assert shown.code == 0 and shown.out.strip() == "gr-main", shown.err
    ambiguous = cli("online-endpoint", "create", "--n", "gr-other", *AT)
    assert ambiguous.code == 2
    assert ambiguous.err.strip() == "ERROR: ambiguous option: --n could match --name, --no-wait"


def test_no_wait_returns_at_once_and_show_reports_the_state(
    setup: ServerProcess, cli: Any, files: Path
) -> None:
    _endpoint(cli, files, "gr-nowait")
    started = cli(
        "online-deployment", "create", "-n", "blue", "-e", "gr-nowait",
        "-f", str(files / "deployment.yml"), *AT, "--no-wait",
    )  # fmt: skip
    assert started.code == 0 and started.out == ""
    state = ok(
        cli(
            "online-deployment",
            "show",
            "-n",
            "blue",
            "-e",
            "gr-nowait",
            *AT,
            "--query",
            "provisioning_state",
        )
    )
    assert state in ("Creating", "Succeeded")
    both = cli(
        "online-deployment",
        "create",
        "-n",
        "x",
        "-e",
        "gr-nowait",
        "-f",
        str(files / "deployment.yml"),
        *AT,
        "--no-wait",
        "--local",
    )
    assert both.code == 1 and "--no-wait and --local" in both.err
    gone = cli("online-endpoint", "delete", "-n", "gr-nowait", *AT, "--yes", "--no-wait")
    assert gone.code == 0
    deleted = cli("online-endpoint", "show", "-n", "gr-nowait", *AT)
    assert deleted.code == 1 and "not found" in deleted.err


def _blue_and_green(cli: Any, files: Path, endpoint: str) -> tuple[str, ...]:
    _endpoint(cli, files, endpoint)
    _deploy(cli, files, endpoint, "blue", "--all-traffic")
    _deploy(cli, files, endpoint, "green")
    return ("online-endpoint", "update", "-n", endpoint, *AT)


def test_a_zero_mirror_is_no_mirror(setup: ServerProcess, cli: Any, files: Path) -> None:
    """The examples' safe rollout mirrors 10% to green, ends it with green=0, then shifts 10%
    of the traffic to green (once refused: green was still "the mirror target")."""
    update = _blue_and_green(cli, files, "gr-mirror")
    assert ok(cli(*update, "--mirror-traffic", "green=10"))["mirror_traffic"] == {"green": 10}
    assert ok(cli(*update, "--mirror-traffic", "green=0"))["mirror_traffic"] == {}
    shifted = ok(cli(*update, "--traffic", "blue=90 green=10"))
    assert shifted["traffic"] == {"blue": 90, "green": 10}


def test_traffic_keeps_a_deployment_at_zero(setup: ServerProcess, cli: Any, files: Path) -> None:
    """--traffic "blue=0 green=100" keeps blue at 0, as az does (it was dropped)."""
    update = _blue_and_green(cli, files, "gr-rollout")
    final = ok(cli(*update, "--traffic", "blue=0 green=100"))
    assert final["traffic"] == {"blue": 0, "green": 100}
    request = str(files / "request.json")
    answer = cli("online-endpoint", "invoke", "-n", "gr-rollout", *AT, "-r", request)
    assert json.loads(json.loads(answer.out))["deployment"] == "green"
    ok(cli("online-deployment", "delete", "-n", "blue", "--endpoint", "gr-rollout", *AT, "-y"))
    assert ok(cli("online-endpoint", "show", "-n", "gr-rollout", *AT))["traffic"] == {"green": 100}


def test_create_after_a_failed_attempt_tries_again(
    setup: ServerProcess, cli: Any, files: Path, tmp_path: Path
) -> None:
    """The cause of a failure fixed outside the deployment (here: a file its init() needs),
    the same create again starts a new attempt instead of answering the old failure."""
    needed = tmp_path / "needed.txt"
    _endpoint(cli, files, "gr-retry")
    args = (
        "online-deployment", "create", "-n", "blue", "-e", "gr-retry",
        "-f", str(files / "deployment.yml"), *AT, "--set", f"environment_variables.NEEDS_FILE={needed}",
    )  # fmt: skip
    failed = cli(*args)
    assert failed.code == 1 and "failed" in failed.err.lower(), failed.err
    needed.write_text("here now")
    retried = ok(cli(*args))
    assert retried["provisioning_state"] == "Succeeded"


def test_registering_a_folder_then_its_file_keeps_both(
    setup: ServerProcess, cli: Any, tmp_path: Path
) -> None:
    """``model/`` and then ``model/weights.pkl`` (same bytes, one member each) are two uploads:
    the second once answered "Nothing is stored at …" (the hash ignored the name)."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.pkl").write_bytes(b"\x80\x04 the weights")
    ok(cli("model", "create", "-n", "m-folder", "--path", str(folder), *AT))
    ok(cli("model", "create", "-n", "m-file", "--path", str(folder / "weights.pkl"), *AT))
    for name, expected in (("m-folder", "model/weights.pkl"), ("m-file", "weights.pkl")):
        target = tmp_path / f"out-{name}"
        done = cli("model", "download", "-n", name, "-v", "1", "-p", str(target), *AT)
        assert done.code == 0, done.err
        assert (target / name / expected).read_bytes() == b"\x80\x04 the weights"


def test_defaults_ids_assignee_account_and_storage_by_account_name(
    setup: ServerProcess, cli: Any, tmp_path: Path
) -> None:
    ok(cli("group", "create", "-n", "rg-grammar-other"))
    ok(cli("configure", "--defaults", f"group={GROUP}", f"workspace={WS}"))
    try:
        # group show and friends take the configured defaults
        assert ok(cli("group", "show", "--query", "name")) == GROUP
        assert ok(cli("workspace", "show", "--query", "name")) == WS
        got = ok(
            cli("config", "get", "--query", "defaults[?name == 'workspace'].value", "-o", "json")
        )
        assert got == [WS]
        listed = cli("configure", "-l", "--query", "[?name=='group'].value | [0]", "-o", "tsv")
        assert listed.out.strip() == GROUP  # az configure -l, as the ncd example reads it
        # storage data commands need only the account name (the account is in another group)
        ok(cli("storage", "account", "create", "-n", "grammarstore", "-g", "rg-grammar-other"))
        ok(cli("storage", "container", "create", "--account-name", "grammarstore", "-n", "con1"))
        source = tmp_path / "hello.txt"
        source.write_text("hello")
        ok(
            cli(
                "storage",
                "blob",
                "upload",
                "--account-name",
                "grammarstore",
                "-c",
                "con1",
                "-n",
                "h.txt",
                "-f",
                str(source),
            )
        )
        listed = ok(
            cli(
                "storage",
                "blob",
                "list",
                "--account-name",
                "grammarstore",
                "-c",
                "con1",
                "--auth-mode",
                "login",
            )
        )
        assert [b["name"] for b in listed] == ["h.txt"]
        store = ok(
            cli("storage", "account", "show", "-n", "grammarstore", "-g", "rg-grammar-other")
        )
        assert store["location"] == ok(cli("group", "show", "-n", "rg-grammar-other"))["location"]
        # --ids on show (several ids: a list) and delete
        uai = ok(cli("identity", "create", "-n", "uai-ids"))
        both = ok(cli("identity", "show", "--ids", uai["id"], uai["id"]))
        assert [i["name"] for i in both] == ["uai-ids", "uai-ids"]
        # --assignee by name; the same assignment again returns the one there is
        role = (
            "role",
            "assignment",
            "create",
            "--role",
            "Storage Blob Data Reader",
            "--scope",
            store["id"],
        )
        first = ok(cli(*role, "--assignee", "uai-ids"))
        again = ok(cli(*role, "--assignee", uai["principalId"]))
        assert first["id"] == again["id"] and first["principalId"] == uai["principalId"]
        unknown = cli(*role, "--assignee", "nobody-here")
        assert unknown.code == 1 and "nobody-here" in unknown.err
        ok(cli("identity", "delete", "--ids", uai["id"], "--yes"))
        assert cli("identity", "show", "-n", "uai-ids").code == 1
        # account show: az's fields, basin's kept
        account = ok(cli("account", "show"))
        assert account["id"] == account["subscription_id"]
        assert account["tenantId"] == account["tenant_id"]
        assert account["user"] == {"name": "admin", "type": "user"}
        tsv = cli("account", "show", "--query", "id", "-o", "tsv")
        assert tsv.out.strip() == account["id"]
    finally:
        ok(cli("configure", "--defaults", "group=", "workspace="))


def test_table_output_never_breaks_on_multi_line_fields(setup: ServerProcess, cli: Any) -> None:
    ok(
        cli(
            "workspace", "update", "-n", WS, "-g", GROUP, "--description", "first line\nsecond line"
        )
    )
    table = cli("workspace", "list", "-g", GROUP, "-o", "table")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split()[0] == "Name" and set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 3  # header, rule, one row: the description's lines did not split it
    assert "first line …" in lines[2]


def test_local_endpoint_runs_on_this_machine(setup: ServerProcess, cli: Any, files: Path) -> None:
    """az's --local: the deployment runs here (built environment, basin's runtime, a local
    port, no key), and show / invoke / get-logs / delete work on it."""
    model = files / "model"
    model.mkdir(exist_ok=True)
    (model / "weights.txt").write_text("w")
    local = ("--local",)
    made = ok(
        cli(
            "online-endpoint", "create", "-n", "gr-local", "-f", str(files / "endpoint.yml"), *local
        )
    )
    assert made["provisioning_state"] == "Succeeded" and made["name"] == "gr-local"
    deployed = ok(
        cli(
            "online-deployment", "create", "-n", "blue", "--endpoint", "gr-local",
            "-f", str(files / "deployment.yml"), "--set", f"model.path={model}", *local,
        )
    )  # fmt: skip
    assert deployed["provisioning_state"] == "Succeeded"
    shown = ok(cli("online-endpoint", "show", "-n", "gr-local", *local))
    assert shown["scoring_uri"].startswith("http://localhost:") and shown["traffic"] == {
        "blue": 100
    }
    state = cli(
        "online-deployment",
        "show",
        "-n",
        "blue",
        "-e",
        "gr-local",
        *local,
        "--query",
        "provisioning_state",
        "-o",
        "tsv",
    )
    assert state.out.strip() == "Succeeded"
    answer = cli(
        "online-endpoint", "invoke", "-n", "gr-local", "-r", str(files / "request.json"), *local
    )
    assert json.loads(json.loads(answer.out))["echo"] == {"x": [1, 2]}
    # no key: the scoring URI answers anyone on this machine, as a local container does
    import httpx

    direct = httpx.post(shown["scoring_uri"], json={"y": 1}, timeout=30)
    assert direct.status_code == 200 and direct.json()["echo"] == {"y": 1}
    logs = cli(
        "online-deployment", "get-logs", "-n", "blue", "-e", "gr-local", *local, "--lines", "50"
    )
    assert "init of blue" in logs.out
    init = cli(
        "online-deployment",
        "get-logs",
        "-n",
        "blue",
        "-e",
        "gr-local",
        *local,
        "-c",
        "storage-initializer",
    )
    assert "Model:" in init.out and "Environment ready" in init.out
    assert [e["name"] for e in ok(cli("online-endpoint", "list", *local))] == ["gr-local"]
    # the server knows nothing of it
    assert cli("online-endpoint", "show", "-n", "gr-local", *AT).code == 1
    ok(cli("online-endpoint", "delete", "-n", "gr-local", "--yes", *local))
    assert cli("online-endpoint", "show", "-n", "gr-local", *local).code == 1
    with pytest.raises(httpx.TransportError):
        httpx.post(shown["scoring_uri"], json={}, timeout=5)


def _run_basin(server: ServerProcess, args: list[str], *, tty: bool) -> tuple[int, str, str]:
    """The real ``basin`` executable, stderr on a pseudo-terminal (tty) or a pipe."""
    import os
    import pty
    import select
    import subprocess
    import sys

    exe = str(Path(sys.executable).parent / "basin")
    env = {**os.environ, "BASIN_HOME": str(server.home), "COLUMNS": "100"}
    env.pop("BASIN_NO_PROGRESS", None)
    if not tty:
        done = subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [exe, *args], env=env, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    out = process.stdout.read().decode() if process.stdout else ""
    process.wait(timeout=300)
    os.close(leader)
    return process.returncode, out, seen.decode(errors="replace")


def test_progress_shows_on_a_terminal_only(setup: ServerProcess, files: Path) -> None:
    _endpoint_args = [
        "online-endpoint",
        "create",
        "-n",
        "gr-progress",
        "-f",
        str(files / "endpoint.yml"),
        *AT,
    ]
    assert _run_basin(setup, _endpoint_args, tty=False)[0] == 0
    create = [
        "online-deployment",
        "create",
        "-n",
        "blue",
        "-e",
        "gr-progress",
        "-f",
        str(files / "deployment.yml"),
        *AT,
    ]
    code, out, err = _run_basin(setup, create, tty=True)
    assert code == 0 and json.loads(out)["provisioning_state"] == "Succeeded"
    assert "Provisioning deployment blue" in err  # the spinner's line, on the terminal
    code, out, err = _run_basin(setup, [*create, "--set", "tags.again=1"], tty=False)
    assert code == 0 and err == ""  # a pipe: nothing but the result
    code, out, err = _run_basin(setup, [*create, "--only-show-errors"], tty=True)
    assert code == 0 and "Provisioning" not in err


def test_local_builds_ignore_the_shells_proxy_and_the_replica_keeps_it(
    setup: ServerProcess, cli: Any, files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After eval "$(basin env)" a shell sends HTTPS to basin's proxy, which does not pass
    package indexes through: a local build once failed there ("tunnel error"). The build goes
    straight to the index, as the server's builds do; the replica gets the variables."""
    conda = tmp_path / "conda.yml"
    conda.write_text("dependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - six\n")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    ok(cli("online-endpoint", "create", "-n", "gr-local-proxy", "--local"))
    try:
        made = ok(
            cli(
                "online-deployment", "create", "-n", "blue", "-e", "gr-local-proxy", "--local",
                "-f", str(files / "deployment.yml"), "--set", f"environment.conda_file={conda}",
            )
        )  # fmt: skip
        assert made["provisioning_state"] == "Succeeded"
    finally:
        ok(cli("online-endpoint", "delete", "-n", "gr-local-proxy", "--local", "--yes"))


def test_upload_batch_takes_the_account_from_the_environment_as_az_does(
    setup: ServerProcess, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy-rest.sh: ``export AZURE_STORAGE_ACCOUNT=...`` then ``az storage blob upload-batch
    -d container/folder -s dir`` (no --account-name)."""
    ok(cli("storage", "account", "create", "-n", "batchstore", "-g", GROUP))
    ok(cli("storage", "container", "create", "--account-name", "batchstore", "-n", "code"))
    source = tmp_path / "onlinescoring"
    (source / "sub").mkdir(parents=True)
    (source / "score.py").write_text("def init(): pass\n")
    (source / "sub" / "util.py").write_text("X = 1\n")
    (source / "notes.txt").write_text("not code\n")
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "batchstore")
    batch = ("storage", "blob", "upload-batch", "-d", "code/score", "-s", str(source))
    uploaded = ok(cli(*batch, "--pattern", "*.py"))
    assert sorted(u["Blob"].rsplit("/code/", 1)[1] for u in uploaded) == [
        "score/score.py",
        "score/sub/util.py",
    ]
    listed = ok(cli("storage", "blob", "list", "-c", "code"))
    assert sorted(b["name"] for b in listed) == ["score/score.py", "score/sub/util.py"]
    fails(cli(*batch, "--pattern", "*.py"), "--overwrite")  # az refuses to replace by default
    assert len(ok(cli(*batch, "--overwrite"))) == 3
    fails(cli(*batch, "--pattern", "*.ipynb"), "no files matching --pattern '*.ipynb'")
