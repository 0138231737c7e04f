"""Environments through a real server: conda files, the build cache, private feeds and wheels."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    PatTokenConfiguration,
    Workspace,
    WorkspaceConnection,
)
from basin.errors import BuildFailedError, ValidationError
from basin.testing import ServerProcess
from basin.testing.files import files_containing
from basin.testing.packages import PrivateIndex, make_wheel, start_pypiserver
from tests.e2e.test_workspaces_cli import assign, fails, ok

WS = ("-g", "rg-env", "-w", "ws-env")
PAT = "feed-pat-7f3a9c1e5d"
#: The user name basin presents with a PAT (feeds such as Azure Artifacts accept any).
PAT_USER = "basin"


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[MLClient]:
    with MLClient(None, None, "rg-env", "ws-env", server=server.url, token=server.token) as made:
        made.resource_groups.create_or_update("rg-env")
        made.workspaces.begin_create(Workspace(name="ws-env")).result()
        made.workspaces.begin_create(Workspace(name="ws-other")).result()
        yield made


@pytest.fixture(scope="module")
def private_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateIndex]:
    packages = tmp_path_factory.mktemp("packages")
    make_wheel(packages, "basin-private-pkg", "1.2.3")
    process, index = start_pypiserver(
        packages, tmp_path_factory.mktemp("pypiserver"), PAT_USER, PAT
    )
    try:
        yield index
    finally:
        process.terminate()
        process.wait(10)


def _env_python(build_cache: Path, key: str) -> Path:
    return build_cache / "envs" / key / "bin" / "python"


def _feed_env(name: str, index: str, requirement: str) -> Environment:
    """An environment whose conda file installs ``requirement`` with ``index`` as an extra index."""
    pip = [f"--extra-index-url {index}", requirement]
    return Environment(
        name=name,
        image="basin:minimal",
        conda_file={"dependencies": ["python=3.11", {"pip": pip}]},
    )


def _version_in(build_cache: Path, built: Environment, module: str) -> str:
    """``module.VERSION`` as the built environment's own interpreter imports it."""
    done = subprocess.run(
        [
            str(_env_python(build_cache, built.build_key or "")),
            "-c",
            f"import {module} as p; print(p.VERSION)",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.slow
def test_azure_shaped_conda_file_builds_once(
    client: MLClient, cli: Any, tmp_path: Path, build_cache: Path
) -> None:
    conda = tmp_path / "conda.yml"
    conda.write_text(
        "name: model-env\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n"
        "  - numpy\n  - scikit-learn\n  - pip\n  - pip:\n    - joblib\n"
    )
    spec = tmp_path / "env.yml"
    spec.write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\n"
        "name: sklearn-env\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"
        "conda_file: conda.yml\ndescription: Azure ML example shape\n"
    )
    first = ok(cli("environment", "create", "-f", str(spec), *WS))
    assert first["build_state"] == "Succeeded", first.get("build_message")
    assert "lock" not in first  # long: shown on request only
    lock = ok(cli("environment", "show", "-n", "sklearn-env", "--show-lock", *WS))["lock"]
    assert "scikit-learn==" in lock and "numpy==" in lock
    python = _env_python(build_cache, first["build_key"])
    done = subprocess.run(
        [str(python), "-c", "import sklearn, joblib, basin.runtime; print('ok')"],
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "ok", done.stderr
    marker = build_cache / "envs" / first["build_key"] / "basin-env.json"
    built_at = marker.stat().st_mtime_ns
    log_before = (build_cache / "logs" / f"{first['build_key']}.log").stat().st_mtime_ns

    again = ok(cli("environment", "create", "-f", str(spec), *WS))
    assert again["version"] == first["version"]  # same content: the same version
    other = ok(cli("environment", "create", "-f", str(spec), "--set", "name=sklearn-env-two", *WS))
    assert other["build_key"] == first["build_key"] and other["build_state"] == "Succeeded"
    # a cache hit does no install work: the environment and its build log are untouched
    # (other tests may build other environments in the shared cache meanwhile)
    assert marker.stat().st_mtime_ns == built_at
    assert (build_cache / "logs" / f"{first['build_key']}.log").stat().st_mtime_ns == log_before
    shown = ok(cli("environment", "show-build", "-n", "sklearn-env", "-v", first["version"], *WS))
    assert shown["build_state"] == "Succeeded" and shown["python_version"].startswith("3.11")
    assert any("openmpi" in note for note in shown["notes"])


def test_bad_environments_are_refused_clearly(client: MLClient, cli: Any, tmp_path: Path) -> None:
    old_python = tmp_path / "old.yml"
    old_python.write_text("dependencies:\n  - python=3.4\n  - pip:\n    - six\n")
    fails(
        cli(
            "environment",
            "create",
            "-n",
            "oldpy",
            "--conda-file",
            str(old_python),
            "--image",
            "basin:minimal",
            *WS,
        ),
        "Python 3.4 is too old for the scoring runtime",
        "3.8 and newer",
    )
    missing = tmp_path / "missing.yml"
    missing.write_text("dependencies:\n  - python=3.99\n")
    fails(
        cli("environment", "create", "-n", "nopy", "--conda-file", str(missing), *WS),
        "Python 3.99 is not available on this server (found: ",
        "BASIN_PYTHON_DOWNLOADS=true",
        "allow_nearest_python",
    )
    fails(
        cli("environment", "create", "-n", "noimg", "--image", "example.com/unknown:1", *WS),
        "example.com/unknown:1",
        "basin:minimal",
    )
    native = tmp_path / "native.yml"
    native.write_text("dependencies:\n  - python=3.11\n  - cudatoolkit=11.8\n  - mkl\n")
    fails(
        cli("environment", "create", "-n", "native", "--conda-file", str(native), *WS),
        "cudatoolkit",
        "mkl",
    )
    spec = tmp_path / "build.yml"
    spec.write_text("name: docker-env\nbuild:\n  path: ./docker\n")
    fails(cli("environment", "create", "-f", str(spec), *WS), "build", "container engine")
    looks_like_conda = tmp_path / "conda-as-env.yml"
    looks_like_conda.write_text("name: x\ndependencies:\n  - python=3.11\n")
    fails(cli("environment", "create", "-f", str(looks_like_conda), *WS), "looks like a conda file")
    assert ok(cli("environment", "list", *WS, "--query", "[?name=='oldpy']")) == []


def test_private_feed_with_a_connection_pat(
    client: MLClient, server: ServerProcess, private_index: PrivateIndex, build_cache: Path
) -> None:
    env = _feed_env("private-feed-env", private_index.simple, "basin-private-pkg==1.2.3")
    # without the connection: a clear failure that names the package, and no secret anywhere
    failed = client.environments.create_or_update(env)
    with pytest.raises(BuildFailedError) as no_feed:
        client.environments.wait_for_build(failed.name or "", failed.version or "")
    assert "basin-private-pkg" in str(no_feed.value)

    client.connections.create_or_update(
        WorkspaceConnection(
            name="my-feed",
            type="python_feed",
            target=private_index.url,
            credentials=PatTokenConfiguration(pat=PAT),
        )
    )
    built = client.environments.wait_for_build(
        *_create(client, env.model_copy(update={"description": "with feed"}))
    )
    assert _version_in(build_cache, built, "basin_private_pkg") == "1.2.3"

    # a wrong PAT fails, in another workspace
    with MLClient(None, None, "rg-env", "ws-other", server=server.url, token=server.token) as other:
        other.connections.create_or_update(
            WorkspaceConnection(
                name="my-feed",
                type="python_feed",
                target=private_index.url,
                credentials=PatTokenConfiguration(pat="wrong-token"),
            )
        )
        wrong = other.environments.create_or_update(
            env.model_copy(update={"description": "wrong pat"})
        )
        with pytest.raises(BuildFailedError):
            other.environments.wait_for_build(wrong.name or "", wrong.version or "")

    # the PAT is in no API answer, build log, server log or file of the build cache
    everything = json.dumps([e.to_dict() for e in client.environments.list(include_archived=True)])
    everything += client.environments.get_logs(built.name or "", built.version or "")
    everything += "".join(server.output)
    assert PAT not in everything
    # (other tests build into the same cache meanwhile: files_containing passes over what goes)
    assert files_containing(build_cache, PAT, max_bytes=5_000_000) == []


def _create(client: MLClient, env: Environment) -> tuple[str, str]:
    made = client.environments.create_or_update(env)
    return made.name or "", made.version or ""


def test_uploaded_wheel_and_workspace_index(
    client: MLClient, server: ServerProcess, tmp_path: Path, build_cache: Path
) -> None:
    wheel = make_wheel(tmp_path, "basin-uploaded-pkg", "0.4.0")
    url = client.environments.add_private_pip_wheel(wheel)
    assert url.startswith("https://127.0.0.1:") and url.endswith(
        "/basin_uploaded_pkg-0.4.0-py3-none-any.whl"
    )
    # the URL is not public: refused without the workspace's rights
    anonymous = httpx.get(url, verify=False)
    assert anonymous.status_code in (401, 403)

    env = Environment(
        name="wheel-env",
        image="basin:minimal",
        conda_file={"dependencies": ["python=3.11", {"pip": [url]}]},
    )
    built = client.environments.wait_for_build(*_create(client, env))
    assert _version_in(build_cache, built, "basin_uploaded_pkg") == "0.4.0"

    # the workspace's own index serves it to plain pip with a basin token as the password
    index = client.environments.package_index_url().replace(
        "http://", f"http://basin:{server.token}@"
    )
    target = tmp_path / "pip-target"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--isolated",
            "--index-url",
            index,
            "--target",
            str(target),
            "basin-uploaded-pkg==0.4.0",
        ],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (target / "basin_uploaded_pkg" / "__init__.py").exists()
    refused = httpx.get(client.environments.package_index_url())
    assert refused.status_code == 401 and "Basic" in refused.headers["www-authenticate"]
    listing = httpx.get(
        client.environments.package_index_url(),
        auth=("anyone", server.token),
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    ).json()
    assert {"name": "basin-uploaded-pkg"} in listing["projects"]
    with pytest.raises(ValidationError):
        client.environments.add_private_pip_wheel(tmp_path / "not-a-wheel.txt")


def test_conda_file_naming_the_workspace_index(
    client: MLClient, tmp_path: Path, build_cache: Path
) -> None:
    # The builder holds no token for the workspace's own index: the server reads the uploaded
    # wheels with the workspace's rights and hands them to the installer as local files.
    client.environments.add_private_pip_wheel(make_wheel(tmp_path, "basin-indexed-pkg", "0.2.0"))
    index = client.environments.package_index_url()
    env = _feed_env("own-index-env", index, "basin-indexed-pkg==0.2.0")
    built = client.environments.wait_for_build(*_create(client, env))
    assert _version_in(build_cache, built, "basin_indexed_pkg") == "0.2.0"
    # another workspace's index is not this workspace's: refused when registered, clearly
    other = index.replace("/workspaces/ws-env/", "/workspaces/ws-other/")
    env = _feed_env("other-index-env", other, "basin-indexed-pkg==0.2.0")
    with pytest.raises(ValidationError, match="another workspace's package index") as refused:
        client.environments.create_or_update(env)
    assert "upload the wheel to this workspace" in str(refused.value)


def test_v1_style_private_packages(
    client: MLClient,
    server: ServerProcess,
    private_index: PrivateIndex,
    tmp_path: Path,
    build_cache: Path,
) -> None:
    """The v1 calls of the Azure ML private-packages doc, with the import changed."""
    from basin.v1 import Environment as V1Environment
    from basin.v1 import Workspace as V1Workspace

    client.workspaces.begin_create(Workspace(name="ws-v1")).result()
    ws = V1Workspace.get("ws-v1", resource_group="rg-env", server=server.url, token=server.token)
    ws.set_connection(
        name="v1-feed", category="PythonFeed", target=private_index.url, authType="PAT", value=PAT
    )
    shown = ws.client.connections.get("v1-feed")
    assert shown.type.value == "python_feed" and PAT not in json.dumps(shown.to_dict())
    wheel = make_wheel(tmp_path, "basin-v1-pkg", "2.0.0")
    url = V1Environment.add_private_pip_wheel(workspace=ws, file_path=wheel)
    with pytest.raises(ValidationError, match="exist_ok"):
        V1Environment.add_private_pip_wheel(workspace=ws, file_path=wheel)
    assert V1Environment.add_private_pip_wheel(workspace=ws, file_path=wheel, exist_ok=True) == url
    env = Environment(
        name="v1-env",
        image="basin:minimal",
        conda_file={
            "dependencies": [
                "python=3.11",
                {
                    "pip": [
                        url,
                        f"--extra-index-url {private_index.simple}",
                        "basin-private-pkg==1.2.3",
                    ]
                },
            ]
        },
    )
    made = ws.client.environments.create_or_update(env)
    built = ws.client.environments.wait_for_build(made.name or "", made.version or "")
    python = _env_python(build_cache, built.build_key or "")
    done = subprocess.run(
        [str(python), "-c", "import basin_v1_pkg, basin_private_pkg; print(basin_v1_pkg.VERSION)"],
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "2.0.0", done.stderr
    ws.client.close()


def test_wheel_from_another_account_needs_the_workspace_identity_role(
    client: MLClient, cli: Any, tmp_path: Path, build_cache: Path
) -> None:
    ok(cli("storage", "account", "create", "-n", "wheelhouse1", "-g", "rg-env"))
    acct = ("--account-name", "wheelhouse1", "-g", "rg-env")
    ok(cli("storage", "container", "create", "-n", "wheels", *acct))
    wheel = make_wheel(tmp_path, "basin-shelf-pkg", "0.1.0")
    ok(cli("storage", "blob", "upload", "-n", wheel.name, "-c", "wheels", "-f", str(wheel), *acct))
    account = ok(cli("storage", "account", "show", "-n", "wheelhouse1", "-g", "rg-env"))
    url = account["primaryEndpoints"]["blob"] + "wheels/" + wheel.name
    env = Environment(
        name="shelf-env",
        image="basin:minimal",
        conda_file={"dependencies": ["python=3.11", {"pip": [url]}]},
    )
    with pytest.raises(Exception) as refused:
        client.environments.create_or_update(env)
    assert "Storage Blob Data Reader" in str(refused.value)
    principal = client.workspaces.get("ws-env").identity.principal_id  # type: ignore[union-attr]
    assign(cli, str(principal), "Storage Blob Data Reader", account["id"])
    built = client.environments.wait_for_build(*_create(client, env))
    assert _version_in(build_cache, built, "basin_shelf_pkg") == "0.1.0"


def test_air_gapped_server_refuses_public_packages(tmp_path: Path) -> None:
    env_vars = {"BASIN_BUILD_CACHE": str(tmp_path / "cache"), "BASIN_AIR_GAPPED": "true"}
    server = ServerProcess(tmp_path / "home", extra_env=env_vars)
    with server, MLClient(None, None, "rg", "ws-air", server=server.url, token=server.token) as air:
        air.resource_groups.create_or_update("rg")
        air.workspaces.begin_create(Workspace(name="ws-air")).result()
        public = {"dependencies": ["python=3.11", {"pip": ["six==1.16.0"]}]}
        made = air.environments.create_or_update(
            Environment(name="public", image="basin:minimal", conda_file=public)
        )
        with pytest.raises(BuildFailedError) as refused:
            air.environments.wait_for_build(made.name or "", made.version or "")
        assert "air-gapped" in str(refused.value).lower()

        # With no index at all, a deployment still starts: the runtime's packages come from the
        # server's own wheels, the team's package from a wheel uploaded to the workspace.
        url = air.environments.add_private_pip_wheel(make_wheel(tmp_path, "basin-air-pkg", "1.0"))
        code = tmp_path / "src"
        code.mkdir()
        (code / "score.py").write_text(
            "import basin_air_pkg\n\ndef init():\n    pass\n\n"
            "def run(raw_data):\n    return {'pkg': basin_air_pkg.VERSION}\n"
        )
        air.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="air")).result()
        conda = {"dependencies": ["python=3.11", {"pip": [url]}]}
        deployment = ManagedOnlineDeployment(
            name="blue",
            endpoint_name="air",
            code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
            environment=Environment(image="basin:minimal", conda_file=conda),
            instance_type="Standard_DS3_v2",
        )
        air.online_deployments.begin_create_or_update(deployment).result()
        air.online_endpoints.begin_update("air", {"traffic": {"blue": 100}}).result()
        endpoint = air.online_endpoints.get("air")
        key = air.online_endpoints.get_keys("air").primary_key  # type: ignore[union-attr]
        answer = httpx.post(
            endpoint.scoring_uri or "", json={}, headers={"Authorization": f"Bearer {key}"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"pkg": "1.0"}
