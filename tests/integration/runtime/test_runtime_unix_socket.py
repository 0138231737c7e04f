"""The runtime on a Unix socket besides its port (``--uds`` / ``BASIN_RUNTIME_SOCKET``), where
basin's gateway reaches a replica on the same machine."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.integration.runtime.conftest import Runtime, base_env, run_to_exit, write_script

RAW = """
from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse
import json

def init():
    pass

@rawhttp
def run(request):
    return AMLResponse(json.dumps({
        "host": request.host,
        "port": request.environ["SERVER_PORT"],
        "remote": request.remote_addr,
        "body": request.get_data(as_text=True),
    }), 200)
"""


def _over(path: Path) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(uds=str(path)), timeout=30)


def test_serves_on_its_socket_for_its_user_only_and_removes_it_at_exit(
    serve: Callable[..., Runtime], tmp_path: Path
) -> None:
    path = tmp_path / "replica.sock"
    runtime = serve(RAW, env=base_env(BASIN_RUNTIME_SOCKET=str(path)))
    info = os.lstat(path)
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o600

    with _over(path) as client:
        answer = client.post("http://replica.local/score", content=b"over the socket")
    assert answer.status_code == 200
    seen = answer.json()
    # A raw script sees the request as it would over the port: its Host, the runtime's port.
    assert seen == {
        "host": "replica.local",
        "port": str(runtime.port),
        "remote": "127.0.0.1",
        "body": "over the socket",
    }
    assert runtime.client.post("/score", content=b"over the port").json()["body"] == (
        "over the port"
    )

    runtime.stop()  # SIGTERM
    assert not path.exists()


def test_the_flag_takes_the_socket_too_and_a_stale_file_is_replaced(
    serve: Callable[..., Runtime], tmp_path: Path
) -> None:
    path = tmp_path / "replica.sock"
    path.write_text("left behind")  # by a process that was killed
    serve(RAW, "--uds", str(path))
    with _over(path) as client:
        assert client.get("http://replica.local/").status_code == 200


def test_a_socket_it_cannot_make_stops_the_start_with_the_reason(tmp_path: Path) -> None:
    script = write_script(tmp_path / "app", RAW)
    path = tmp_path / "no-such-folder" / "replica.sock"
    code, output = run_to_exit(script, "--uds", str(path))
    assert code == 3
    assert f"Cannot listen on the Unix socket {path}" in output
