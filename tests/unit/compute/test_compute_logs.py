"""Deployment log files: prefixed lines, bounded size, tail across rotation, follow."""

from __future__ import annotations

import threading
from pathlib import Path

from basin.compute._logs import DeploymentLog, follow, log_path, tail
from basin.compute.local._output import OutputLines


def test_file_names_are_safe_and_distinct(tmp_path: Path) -> None:
    first = log_path(tmp_path, "/subscriptions/s/ws/onlineEndpoints/ep/deployments/blue")
    second = log_path(tmp_path, "/subscriptions/s/ws/onlineEndpoints/ep2/deployments/blue")
    odd = log_path(tmp_path, "../../etc/pass wd")
    assert first.name.startswith("blue-") and first != second
    assert odd.parent == tmp_path and "/" not in odd.name and " " not in odd.name


def test_lines_carry_their_source_and_tail_reads_the_end(tmp_path: Path) -> None:
    log = DeploymentLog(tmp_path / "d.log", max_bytes=1 << 20)
    log.write("blue-1", [f"line {i}" for i in range(1000)])
    log.write("supervisor", ["replica blue-1 is ready"])
    assert tail(log.path, 2) == "blue-1 | line 999\nsupervisor | replica blue-1 is ready\n"
    assert tail(log.path, 0) == ""
    assert len(tail(log.path, 5000).splitlines()) == 1001
    assert tail(tmp_path / "missing.log", 10) == ""


def test_size_is_bounded_and_tail_spans_the_rotated_file(tmp_path: Path) -> None:
    log = DeploymentLog(tmp_path / "d.log", max_bytes=1000)
    for i in range(500):
        log.write("r", [f"line {i:04d}"])
    log.close()
    files = list(tmp_path.iterdir())
    assert sorted(f.name for f in files) == ["d.log", "d.log.1"]
    assert sum(f.stat().st_size for f in files) <= 2 * 1000 + 20
    last = tail(log.path, 60).splitlines()
    assert last == [f"r | line {i:04d}" for i in range(440, 500)]


def test_long_reads_across_block_boundaries(tmp_path: Path) -> None:
    log = DeploymentLog(tmp_path / "d.log", max_bytes=1 << 30)
    log.write("r", ["x" * 70_000, "short"])
    assert tail(log.path, 2) == f"r | {'x' * 70_000}\nr | short\n"


def test_follow_yields_the_tail_then_new_lines_through_rotation(tmp_path: Path) -> None:
    log = DeploymentLog(tmp_path / "d.log", max_bytes=200)
    log.write("r", ["old 1", "old 2"])
    stop = threading.Event()
    lines = follow(log.path, 1, stop, poll=0.01)
    assert next(lines) == "r | old 2"
    log.write("r", ["new 1"])
    assert next(lines) == "r | new 1"
    for i in range(30):  # several rotations
        log.write("r", [f"more {i}"])
    assert [next(lines) for _ in range(30)][-1] == "r | more 29"
    stop.set()
    assert list(lines) == []


def test_delete_removes_both_files(tmp_path: Path) -> None:
    log = DeploymentLog(tmp_path / "d.log", max_bytes=10)
    log.write("r", ["a line that rotates", "and another"])
    log.delete()
    assert list(tmp_path.iterdir()) == []


def test_output_is_cut_into_lines_across_reads(tmp_path: Path) -> None:
    log = DeploymentLog(tmp_path / "d.log", max_bytes=1 << 20)
    output = OutputLines("blue-1", log, keep=3)
    output.feed(b"first\r\nsec")
    output.feed(b"ond\n\xffbad\n" + b"y" * 20_000)
    assert tail(log.path, 10).splitlines() == [
        "blue-1 | first",
        "blue-1 | second",
        "blue-1 | \ufffdbad",
        "blue-1 | " + "y" * 16384,
    ]
    output.feed(b"", final=True)  # the process ended: the unfinished line is written too
    assert tail(log.path, 1) == "blue-1 | " + "y" * (20_000 - 16384) + "\n"
    assert output.tail(3) == "\ufffdbad\n" + "y" * 16384 + "\n" + "y" * (20_000 - 16384)
    assert output.tail(0) == ""
