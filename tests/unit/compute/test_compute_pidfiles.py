"""The state folder: leftovers are stopped only when the pid still names the same process."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from basin.compute.local._pidfiles import StateFolder
from basin.compute.local._process import alive, proc_info
from basin.errors import ConflictError


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "600"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


def _recorded_by_a_past_supervisor(folder: Path, process: subprocess.Popen[bytes]) -> None:
    """``process`` recorded as replica blue-1 in ``folder`` by a supervisor now gone."""
    info = proc_info(process.pid)
    assert info is not None
    past = StateFolder(folder)
    past.record("blue-1", "key", process.pid, info.start_ticks)
    past.close()


def test_a_recorded_process_is_stopped_and_forgotten(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    _recorded_by_a_past_supervisor(tmp_path, sleeper)
    second = StateFolder(tmp_path)
    (leftover,) = second.leftovers()
    assert (leftover.replica_id, leftover.key, leftover.pid) == ("blue-1", "key", sleeper.pid)
    assert second.clean(grace=5) == [leftover]
    sleeper.wait(timeout=30)  # it ended (and is reaped here)
    assert not alive(sleeper.pid)
    assert second.leftovers() == []
    second.close()


def test_a_reused_pid_is_left_alone(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    info = proc_info(sleeper.pid)
    assert info is not None
    folder = StateFolder(tmp_path)
    folder.record("blue-1", "key", sleeper.pid, info.start_ticks - 1)  # another process's time
    assert folder.clean(grace=5) == []
    assert alive(sleeper.pid)
    assert folder.leftovers() == []
    folder.close()


def test_unreadable_pid_files_are_dropped(tmp_path: Path) -> None:
    (tmp_path / "x.pid.json").write_text("{not json")
    folder = StateFolder(tmp_path)
    assert folder.leftovers() == []
    assert not (tmp_path / "x.pid.json").exists()
    folder.close()


def test_the_folder_is_locked_while_open(tmp_path: Path) -> None:
    first = StateFolder(tmp_path)
    with pytest.raises(ConflictError):
        StateFolder(tmp_path)
    first.close()
    StateFolder(tmp_path).close()


def test_a_pid_file_half_written_by_a_killed_supervisor_is_removed(tmp_path: Path) -> None:
    # the CI crash matrix once found one: a SIGKILL between the write and the rename
    (tmp_path / ".blue-1.pid.json.k3v9x_a1.tmp").write_text('{"replica": "bl')
    folder = StateFolder(tmp_path)
    assert folder.clean(grace=5) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["supervisor.lock"]
    folder.close()


def test_a_whole_pid_file_left_aside_by_a_killed_supervisor_still_stops_its_replica(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    _recorded_by_a_past_supervisor(tmp_path, sleeper)
    final = tmp_path / "blue-1.pid.json"
    final.rename(final.with_name(f".{final.name}.k3v9x_a1.tmp"))  # killed before the rename
    second = StateFolder(tmp_path)
    (leftover,) = second.clean(grace=5)
    assert leftover.pid == sleeper.pid
    sleeper.wait(timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["supervisor.lock"]
    second.close()
