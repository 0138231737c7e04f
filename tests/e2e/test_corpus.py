"""The corpus (``tests/e2e/corpus``): Azure-ML-style scripts run as written, with only ``az ml``
-> ``basin``, ``az`` -> ``basin`` (shell) or ``azure.ai.ml`` -> ``basin`` (Python) substituted,
through the real ``basin`` executable and SDK against a real server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from basin.testing import ServerProcess

CORPUS = Path(__file__).parent / "corpus"
SCRIPTS = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".sh", ".py"))
GROUP, WS = "rg-corpus", "ws-corpus"


def substitute(text: str, suffix: str) -> str:
    """What a user changes, and nothing else."""
    if suffix == ".py":
        return re.sub(r"\bazure\.ai\.ml\b", "basin", text)
    return re.sub(r"\baz\b", "basin", re.sub(r"\baz ml\b", "basin", text))


@pytest.fixture(scope="module")
def environment(server: ServerProcess) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BASIN_")},
        "BASIN_HOME": str(server.home),
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "RESOURCE_GROUP": GROUP,
        "WORKSPACE": WS,
    }

    def basin(*args: str) -> None:
        subprocess.run(["basin", *args], env=env, check=True, capture_output=True, timeout=120)

    # What the examples' setup does once: a group, a workspace, and the defaults.
    basin("group", "create", "-n", GROUP, "-l", "westeurope")
    basin("workspace", "create", "-n", WS, "-g", GROUP)
    basin("configure", "--defaults", f"group={GROUP}", f"workspace={WS}")
    return env


@pytest.mark.parametrize("script", SCRIPTS)
def test_corpus_script_runs_as_written(
    script: str, environment: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "corpus"
    shutil.copytree(CORPUS, work)
    path = work / script
    path.write_text(substitute(path.read_text(), path.suffix))
    command = [sys.executable, str(path)] if path.suffix == ".py" else ["bash", str(path)]
    done = subprocess.run(
        command, cwd=work, env=environment, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert "CORPUS OK" in done.stdout


def test_only_the_command_and_the_import_are_substituted() -> None:
    assert substitute("az ml online-endpoint show; az group show; azure", ".sh") == (
        "basin online-endpoint show; basin group show; azure"
    )
    assert substitute("from azure.ai.ml.entities import Model\nimport azure.identity", ".py") == (
        "from basin.entities import Model\nimport azure.identity"
    )
