"""The Makefile's targets name files that exist (`make bench` once ran a script nobody wrote)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_script_a_target_runs_exists() -> None:
    named = re.findall(
        r"\b((?:bench|scripts|tests)/[\w/.-]+\.(?:py|sh))\b", (ROOT / "Makefile").read_text()
    )
    assert named, "the Makefile names no scripts: the pattern is out of date"
    assert [path for path in named if not (ROOT / path).is_file()] == []


def test_make_bench_lists_the_benchmarks_the_readme_shows() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run_all.py"), "--list"],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = re.findall(r"^=== \w+: (\S+)", done.stdout, re.M)
    assert "bench/hop.py" in {str(Path(p).relative_to(ROOT)) for p in listed}
    assert all(Path(p).is_file() for p in listed)
    readme = (ROOT / "README.md").read_text()
    for path in listed:
        assert f"bench/{Path(path).name}" in readme, f"{path} has no figures in the README"
