"""``allow_nearest_python`` is a plain field: ``--set allow_nearest_python=true`` on an
environment, ``--set environment.allow_nearest_python=true`` on a deployment (was refused)."""

from __future__ import annotations

from pathlib import Path

from basin.entities import Environment
from basin.loaders import load_environment, load_online_deployment

DEPLOYMENT = """
name: blue
endpoint_name: my-endpoint
model: azureml:my-model:1
code_configuration:
  code: ./src
  scoring_script: score.py
environment:
  image: basin:minimal
  conda_file: conda.yml
instance_type: Standard_DS3_v2
"""


def test_the_flag_is_set_on_a_deployment_s_inline_environment(tmp_path: Path) -> None:
    (tmp_path / "conda.yml").write_text("dependencies:\n  - python=3.7\n")
    (tmp_path / "blue.yml").write_text(DEPLOYMENT)
    deployment = load_online_deployment(
        tmp_path / "blue.yml", params_override=[{"environment.allow_nearest_python": True}]
    )
    assert isinstance(deployment.environment, Environment)
    assert deployment.environment.allow_nearest_python is True


def test_the_flag_and_the_older_property_on_an_environment(tmp_path: Path) -> None:
    (tmp_path / "conda.yml").write_text("dependencies:\n  - python=3.7\n")
    (tmp_path / "env.yml").write_text("name: old\nimage: basin:minimal\nconda_file: conda.yml\n")
    flagged = load_environment(
        tmp_path / "env.yml", params_override=[{"allow_nearest_python": True}]
    )
    assert flagged.allow_nearest_python is True
    # `--set properties.allow_nearest_python=true` parses as JSON true: kept as text.
    property_form = load_environment(
        tmp_path / "env.yml", params_override=[{"properties.allow_nearest_python": True}]
    )
    assert property_form.properties == {"allow_nearest_python": "true"}
