"""Settings: flags (both spellings), environment, config file, defaults and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin.runtime.config import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_PORT,
    DEFAULT_THREADS,
    ConfigError,
    RuntimeConfig,
    load_config,
)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "score.py"
    path.write_text("def init(): pass\ndef run(d): return d\n")
    return path


def test_defaults(script: Path, tmp_path: Path) -> None:
    config = load_config(["--entry_script", str(script)], {"AML_APP_ROOT": str(tmp_path)})
    assert config.entry_script == str(script.resolve())
    assert (config.host, config.port) == ("127.0.0.1", DEFAULT_PORT)
    assert config.threads == DEFAULT_THREADS
    assert config.scoring_timeout_ms == 3_600_000
    assert config.max_body_bytes == DEFAULT_MAX_BODY_BYTES == 100 * 1024 * 1024
    assert config.model_dir is None
    assert config.server_version is not None and config.server_version.startswith("basin-runtime/")
    assert config.service_name == "ML service"


@pytest.mark.parametrize(
    "flags",
    [
        ["--entry_script", "{s}", "--model_dir", "{m}"],
        ["--entry-script", "{s}", "--model-dir", "{m}"],
    ],
)
def test_both_flag_spellings(flags: list[str], script: Path, tmp_path: Path) -> None:
    argv = [f.format(s=script, m=tmp_path / "m") for f in flags]
    config = load_config([*argv, "--port", "6000", "--host", "0.0.0.0", "--reload"], {})
    assert config.model_dir == str(tmp_path / "m")
    assert (config.port, config.host, config.reload) == (6000, "0.0.0.0", True)


def test_environment_settings(script: Path, tmp_path: Path) -> None:
    env = {
        "AML_APP_ROOT": str(tmp_path),
        "AZUREML_ENTRY_SCRIPT": "score.py",  # relative to AML_APP_ROOT
        "AZUREML_MODEL_DIR": str(tmp_path / "models"),
        "SCORING_TIMEOUT_MS": "1500",
        "SERVICE_NAME": "svc",
        "SERVICE_VERSION": "2",
        "SERVICE_PATH_PREFIX": "api",
        "BASIN_RUNTIME_THREADS": "0",
        "BASIN_RUNTIME_INLINE_MS": "2.5",
        "BASIN_RUNTIME_MAX_BODY_BYTES": "2048",
        "AML_CORS_ORIGINS": "https://a.example, https://b.example",
        "SERVER_VERSION_LOG_RESPONSE_ENABLED": "false",
    }
    config = load_config([], env)
    assert config.entry_script == str(script.resolve())
    assert config.model_dir == str(tmp_path / "models")
    assert config.scoring_timeout_ms == 1500
    assert (config.service_name, config.service_version, config.service_path_prefix) == (
        "svc",
        "2",
        "api",
    )
    assert config.threads == 0
    assert config.inline_ms == 2.5
    assert config.max_body_bytes == 2048
    assert config.cors_origins == ["https://a.example", "https://b.example"]
    assert config.server_version is None


def test_flags_beat_environment_which_beats_config_file(script: Path, tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(
        '{"SCORING_TIMEOUT_MS": 100, "SERVICE_NAME": "from-file", "BASIN_RUNTIME_THREADS": 7}'
    )
    env = {"AML_APP_ROOT": str(tmp_path), "SERVICE_NAME": "from-env"}
    argv = ["--entry_script", str(script), "--config_file", str(tmp_path / "settings.json")]
    config = load_config([*argv, "--threads", "3", "--inline-ms", "0"], env)
    assert config.scoring_timeout_ms == 100
    assert config.service_name == "from-env"
    assert config.threads == 3
    assert config.inline_ms == 0
    assert load_config(argv, env).inline_ms == 1.0  # the default


def test_config_json_in_app_root_is_read(script: Path, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"AZUREML_ENTRY_SCRIPT": "score.py"}')
    config = load_config([], {"AML_APP_ROOT": str(tmp_path)})
    assert config.entry_script == str(script.resolve())


def test_main_py_fallback(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("def init(): pass\ndef run(d): return d\n")
    assert load_config([], {"AML_APP_ROOT": str(tmp_path)}).entry_script.endswith("main.py")


@pytest.mark.parametrize(
    ("argv", "env", "code"),
    [
        ([], {}, 1),  # no script at all
        (["--port", "99999"], {}, 1),
        (["--bogus"], {}, 1),
        (["--entry_script", "missing.py"], {}, 3),
        (["--entry_script", "{s}"], {"SCORING_TIMEOUT_MS": "soon"}, 3),
        (["--entry_script", "{s}"], {"BASIN_RUNTIME_THREADS": "-1"}, 3),
        (["--entry_script", "{s}"], {"BASIN_RUNTIME_INLINE_MS": "-1"}, 3),
        (["--entry_script", "{s}"], {"BASIN_RUNTIME_INLINE_MS": "nan"}, 3),
        (["--entry_script", "{s}"], {"BASIN_RUNTIME_INLINE_MS": "soon"}, 3),
        (["--entry_script", "{s}", "--inline-ms", "-2"], {}, 1),
    ],
)
def test_errors(
    argv: list[str], env: dict[str, str], code: int, script: Path, tmp_path: Path
) -> None:
    env = {"AML_APP_ROOT": str(tmp_path / "empty"), **env}
    with pytest.raises(ConfigError) as caught:
        load_config([a.format(s=script) for a in argv], env)
    assert caught.value.exit_code == code


def test_separate_health_port(script: Path) -> None:
    argv = ["--entry_script", str(script)]
    assert load_config(argv, {}).health_port is None
    assert load_config(argv, {"SEPERATE_HEALTH_ENDPOINT": "true"}).health_port == 5000
    config = load_config([*argv, "--health_port", "7000"], {"SEPERATE_HEALTH_ENDPOINT": "true"})
    assert config.health_port == 7000


def test_json_round_trip(script: Path) -> None:
    config = load_config(["--entry_script", str(script), "--worker_count", "2"], {})
    assert config.ignored == ["--worker_count"]
    assert RuntimeConfig.from_json(config.to_json()) == config
