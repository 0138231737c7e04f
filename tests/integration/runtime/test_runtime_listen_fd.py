"""The runtime serving on a listening socket it inherits (``BASIN_RUNTIME_LISTEN_FD``): basin's
supervisor binds a replica's port itself, so no other program can take it before the replica
serves."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from pathlib import Path

import httpx

from tests.integration.runtime.conftest import (
    RUNTIME_PYTHON,
    STARTUP_LIMIT_S,
    base_env,
    wait_ready,
    write_script,
)

ECHO = """
def init():
    pass

def run(raw_data):
    return {"echo": raw_data}
"""


def _start(script: Path, port: int, fd: int) -> subprocess.Popen[bytes]:
    log = script.parent / "runtime.log"
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                RUNTIME_PYTHON,
                "-m",
                "basin.runtime",
                "--entry_script",
                str(script),
                "--port",
                str(port),
            ],
            cwd=script.parent,
            env=base_env(BASIN_RUNTIME_LISTEN_FD=str(fd)),
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(fd,),
        )


def _open_files(pid: int) -> set[str]:
    """What the process's descriptors refer to (``socket:[inode]``, ``pipe:[inode]``, paths)."""
    found = set()
    for entry in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):  # closed meanwhile
            found.add(os.readlink(f"/proc/{pid}/fd/{entry}"))
    return found


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=STARTUP_LIMIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_serves_on_the_socket_it_inherits(tmp_path: Path) -> None:
    script = write_script(tmp_path, ECHO)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    inode = f"socket:[{os.fstat(listener.fileno()).st_ino}]"
    proc = _start(script, port, listener.fileno())
    listener.close()  # the runtime holds the only copy now
    try:
        wait_ready(proc, port, tmp_path / "runtime.log")
        answer = httpx.post(f"http://127.0.0.1:{port}/score", json={"x": 1}, timeout=30)
        assert answer.status_code == 200
        assert inode in _open_files(proc.pid)  # that very socket, not one bound anew
    finally:
        _stop(proc)


def test_a_descriptor_that_is_not_its_listening_socket_is_left_alone(tmp_path: Path) -> None:
    script = write_script(tmp_path, ECHO)
    read_end, write_end = os.pipe()
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    port = other.getsockname()[1]
    other.close()  # a free port; the descriptor handed over is a pipe
    proc = _start(script, port, read_end)
    try:
        wait_ready(proc, port, tmp_path / "runtime.log")  # it bound the port itself
        log = (tmp_path / "runtime.log").read_text()
        assert f"BASIN_RUNTIME_LISTEN_FD={read_end} is not" in log
        pipe = f"pipe:[{os.fstat(read_end).st_ino}]"
        assert pipe in _open_files(proc.pid)  # not closed by the runtime
    finally:
        _stop(proc)
        os.close(read_end)
        os.close(write_end)
