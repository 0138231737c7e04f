"""Pure parts of the environment extensions: paths, cache keys, redaction, errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from basin.runtime.extensions import (
    EXIT_MISSING_LIB_PATH,
    EXIT_MISSING_REQUIREMENTS,
    ExtensionError,
    apply_extensions,
    overlay_key,
    prepend_path,
    redact,
)


def test_overlay_key_depends_on_content_only() -> None:
    assert overlay_key(b"a==1\n") == overlay_key(b"a==1\n")
    assert overlay_key(b"a==1\n") != overlay_key(b"a==2\n")


def test_redact_hides_url_credentials() -> None:
    text = "fetch https://user:tok3n@feed.example/simple and http://tok3n@x.example/a"
    assert redact(text) == "fetch https://****@feed.example/simple and http://****@x.example/a"


def test_prepend_path_puts_the_folder_first(tmp_path: Path) -> None:
    (tmp_path / "extra.pth").write_text(str(tmp_path / "from-pth") + "\n")
    (tmp_path / "from-pth").mkdir()
    env = {"PYTHONPATH": "/base"}
    saved = list(sys.path)
    try:
        prepend_path(str(tmp_path), env)
        assert sys.path[0] == str(tmp_path)
        assert str(tmp_path / "from-pth") in sys.path[:2]
    finally:
        sys.path[:] = saved
    assert env["PYTHONPATH"] == os.pathsep.join([str(tmp_path), "/base"])


def test_missing_paths_name_the_resolved_path(tmp_path: Path) -> None:
    with pytest.raises(ExtensionError) as caught:
        apply_extensions(str(tmp_path), {"AZUREML_EXTRA_PYTHON_LIB_PATH": "lib"})
    assert caught.value.exit_code == EXIT_MISSING_LIB_PATH
    assert str(tmp_path / "lib") in str(caught.value)
    with pytest.raises(ExtensionError) as caught:
        apply_extensions(str(tmp_path), {"AZUREML_EXTRA_REQUIREMENTS_TXT": "../r.txt"})
    assert caught.value.exit_code == EXIT_MISSING_REQUIREMENTS
    assert str(tmp_path.parent / "r.txt") in str(caught.value)


def test_nothing_set_changes_nothing(tmp_path: Path) -> None:
    saved = list(sys.path)
    assert apply_extensions(str(tmp_path), {}).kind == "none"
    assert sys.path == saved
