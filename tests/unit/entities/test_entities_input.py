"""Bad input to entities gets one clear line, not a traceback or a silent conversion (#13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin.entities import ManagedOnlineDeployment, parse_entity, read_yaml
from basin.errors import ValidationError


def test_a_yaml_file_that_is_not_utf8_is_refused_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "endpoint.yml"
    bad.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ValidationError, match=r"not UTF-8 text \(byte 0xe9 at offset 9\)"):
        read_yaml(bad)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    marked = tmp_path / "endpoint.yml"
    marked.write_bytes("\ufeffname: my-endpoint\n".encode())
    assert read_yaml(marked) == {"name": "my-endpoint"}


@pytest.mark.parametrize("value", [["a", "b"], {"x": 1}, None])
def test_environment_variables_that_are_not_text_are_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="environment variable 'A' must be text"):
        parse_entity(
            ManagedOnlineDeployment, {"name": "blue", "environment_variables": {"A": value}}
        )


def test_scalar_environment_variables_become_text() -> None:
    made = parse_entity(
        ManagedOnlineDeployment,
        {"name": "blue", "environment_variables": {"N": 2, "F": 0.5, "B": True, "S": "x"}},
    )
    assert made.environment_variables == {"N": "2", "F": "0.5", "B": "true", "S": "x"}
