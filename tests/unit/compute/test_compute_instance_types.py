"""Instance types: Azure's sizes, the operator's file, and compute URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin.cli.ray import head_command
from basin.compute import InstanceTypes, Resources, check_compute_url, load_instance_types
from basin.errors import ValidationError

GIB = 2**30


def test_azure_sizes_are_resources_in_any_case() -> None:
    types = InstanceTypes()
    assert types.resources("Standard_DS3_v2") == Resources(4, 14 * GIB, 0)
    assert types.resources("standard_f4s_v2") == Resources(4, 8 * GIB, 0)
    assert types.resources("Standard_NC6s_v3") == Resources(6, 112 * GIB, 1)
    assert types.resources("Standard_E8S_V3") == Resources(8, 64 * GIB, 0)  # as azureml-examples
    assert types.resources(None) is None


def test_an_unknown_size_names_close_ones() -> None:
    with pytest.raises(
        ValidationError,
        match=r"Unknown instance_type 'Standard_DS3_v9'.*Did you mean Standard_DS3_v2",
    ):
        InstanceTypes().get("Standard_DS3_v9")


def test_the_operators_file_adds_and_overrides_sizes(tmp_path: Path) -> None:
    path = tmp_path / "types.yaml"
    path.write_text(
        "- name: gpu-small\n  cpus: 4\n  memory_gib: 16\n  gpus: 1\n  resources: {pool: 0.5}\n"
        "- name: Standard_DS3_v2\n  cpus: 2\n  memory_gib: 4\n"
    )
    types = load_instance_types(path)
    assert types.resources("GPU-SMALL") == Resources(4, 16 * GIB, 1, (("pool", 0.5),))
    assert types.resources("Standard_DS3_v2") == Resources(2, 4 * GIB, 0)
    assert types.resources("Standard_F2s_v2") == Resources(2, 4 * GIB, 0)  # Azure's stay


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x", "must hold a list"),
        ("- {cpus: 2}", "'name' must be a non-empty string"),
        ("- {name: a, cpus: 0}", "number of CPUs above 0"),
        ("- {name: a, cpu: 2}", "unknown field(s) cpu"),
        ("- {name: a, gpus: many}", "gpus a whole number"),
        ("- {name: a, resources: {pool: -1}}", "needs an amount above 0"),
        ("- [", "is not valid"),
    ],
)
def test_a_bad_operators_file_is_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "types.yaml"
    path.write_text(text)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_instance_types(path)


def test_compute_urls() -> None:
    assert check_compute_url("local://") == "local"
    assert check_compute_url("ray://10.0.0.5:10001") == "ray"
    for bad in ("ray://host", "ray://:10001", "k8s://cluster", "local://elsewhere", "ray://h:x"):
        with pytest.raises(ValidationError, match=r"local:// .* or ray://HOST:PORT"):
            check_compute_url(bad)


def test_basin_ray_start_builds_the_head_command(tmp_path: Path) -> None:
    command = head_command("127.0.0.2", 10001, 6379, 2, tmp_path, True, None, '{"head": 1}')
    assert command[1:3] == ["start", "--head"]
    assert "--node-ip-address=127.0.0.2" in command and "--ray-client-server-port=10001" in command
    assert '--resources={"head": 1}' in command and "--block" in command
    with pytest.raises(ValidationError, match="JSON object"):
        head_command("127.0.0.2", 10001, 6379, None, None, False, None, "[1]")
