"""A bad BASIN_ setting stops the server's start with the variable named, never its value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from basin.errors import ValidationError
from basin.settings import load_server_settings


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("BASIN_GATEWAY_WORKERS", "abc", "valid integer"),
        ("BASIN_GATEWAY_WORKERS", "0", "greater than or equal to 1"),
        ("BASIN_GATEWAY_CPUS", '["s3cret-value"]', "valid integer"),
        ("BASIN_GPUS", "{s3cret-value", "valid list"),
        ("BASIN_KEY_ROTATION_DAYS", "-s3cret-value", "valid number"),
    ],
)
def test_a_bad_setting_names_the_variable_and_not_its_value(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        load_server_settings()
    assert f"{variable}: " in caught.value.message
    assert says in caught.value.message
    assert "s3cret" not in caught.value.message and value not in caught.value.message


def test_good_settings_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BASIN_GATEWAY_CPUS", "[1]")
    settings = load_server_settings(home=tmp_path)
    assert settings.gateway_cpus == [1]
    assert settings.home == tmp_path


def test_basin_server_refuses_a_bad_setting_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "BASIN_HOME": str(tmp_path / "home"), "BASIN_GATEWAY_WORKERS": "abc"}
    done = subprocess.run(
        [sys.executable, "-m", "basin", "server", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "BASIN_GATEWAY_WORKERS: Input should be a valid integer" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "home").exists()  # nothing made
