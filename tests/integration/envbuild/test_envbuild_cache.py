"""The build cache: hits without uv, shared concurrent builds, atomic failures, states."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from envbuild_helpers import UvSpy

from basin.envbuild import (
    BuildEvent,
    BuildState,
    BuiltEnvironment,
    EnvironmentBuilder,
    EnvironmentSpec,
    PthFile,
    content_hash,
    spec_from_requirements,
)
from basin.errors import BuildFailedError, ValidationError

Builder = Callable[..., EnvironmentBuilder]


def local_spec(wheelhouse: Path, *requirements: str) -> EnvironmentSpec:
    """Offline: only the local wheel folder."""
    text = f"--no-index\n--find-links {wheelhouse}\n" + "\n".join(requirements) + "\n"
    return spec_from_requirements(text, python="3.11").spec


def run_in(env: BuiltEnvironment, code: str) -> str:
    done = subprocess.run([env.python, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_second_build_is_a_cache_hit_that_runs_no_uv(
    wheelhouse: Path, make_builder: Builder, uv_spy: UvSpy
) -> None:
    spec = local_spec(wheelhouse, "basin-private-b")
    first = make_builder().build(spec)
    assert uv_spy.commands() == ["python list", "venv", "pip compile", "pip sync"]

    # Another deployment with the same environment, in the same order or not.
    same = local_spec(wheelhouse, "Basin_Private_B ")
    events: list[BuildEvent] = []
    second = make_builder().build(same, on_event=events.append)

    assert second.cache_hit and not first.cache_hit
    assert second.path == first.path and second.lock == first.lock
    assert len(uv_spy.calls()) == 4
    assert [e.state for e in events if e.kind == "state"] == [BuildState.SUCCEEDED]
    assert run_in(second, "import basin_private_b; print(basin_private_b.VERSION)") == "2.0"


def test_concurrent_requests_for_one_environment_share_one_build(
    wheelhouse: Path, make_builder: Builder, uv_spy: UvSpy, tmp_path: Path
) -> None:
    spec = local_spec(wheelhouse, "basin-private-a")
    builder = make_builder()
    builder.installed_pythons()  # so that every uv call below belongs to the build
    key = content_hash(spec)
    results: list[BuiltEnvironment] = []
    waiting = threading.Semaphore(0)

    def on_event(event: BuildEvent) -> None:
        if event.message.startswith("waiting"):
            waiting.release()

    requirements_text = f"--no-index\n--find-links {wheelhouse}\nbasin-private-a\n"
    other_process = textwrap.dedent(
        f"""
        from pathlib import Path
        from basin.envbuild import EnvironmentBuilder, spec_from_requirements
        builder = EnvironmentBuilder(Path({str(builder.cache_root)!r}), Path({str(uv_spy.path)!r}))
        spec = spec_from_requirements({requirements_text!r}, python="3.11").spec
        env = builder.build(spec, on_event=lambda e: print(e.message, flush=True))
        print("cache_hit", env.cache_hit, env.path, flush=True)
        """
    )
    lock_path = builder.cache_root / "locks" / f"{key}.lock"
    with open(lock_path, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # every request must now queue behind this holder
        threads = [
            threading.Thread(target=lambda: results.append(builder.build(spec, on_event=on_event)))
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        process = subprocess.Popen(
            [sys.executable, "-c", other_process], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        for _ in range(3):
            assert waiting.acquire(timeout=120)
        for line in process.stdout:
            if line.startswith("waiting"):
                break
        assert builder.status(key).state is BuildState.RUNNING
        fcntl.flock(held, fcntl.LOCK_UN)
    rest = process.stdout.read()
    assert process.wait(timeout=120) == 0
    for thread in threads:
        thread.join(timeout=120)

    hits = [env.cache_hit for env in results] + ["cache_hit True" in rest]
    assert len(results) == 3 and sorted(hits) == [False, True, True, True]
    assert {env.path for env in results} == {builder.env_path(key)}
    assert str(builder.env_path(key)) in rest
    assert uv_spy.commands().count("venv") == 1
    assert uv_spy.commands().count("pip sync") == 1


def test_failed_build_leaves_no_half_made_environment(
    wheelhouse: Path, make_builder: Builder
) -> None:
    builder = make_builder()
    spec = local_spec(wheelhouse, "basin-private-a", "basin-private-zzz")
    key = content_hash(spec)
    assert builder.status(key).state is BuildState.NOT_STARTED
    with pytest.raises(BuildFailedError) as caught:
        builder.build(spec)

    message = caught.value.message
    assert "resolving the requirements (uv pip compile) failed" in message
    assert "basin-private-zzz was not found" in message  # the resolver's own words
    assert "Traceback" not in message
    assert list((builder.cache_root / "envs").iterdir()) == []
    assert list((builder.cache_root / "work").iterdir()) == []
    assert builder.status(key).state is BuildState.FAILED
    assert "basin-private-zzz was not found" in builder.log_path(key).read_text()


def test_platform_requirements_and_pth_files_land_in_the_environment(
    wheelhouse: Path, make_builder: Builder, tmp_path: Path
) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / "fake_scoring_runtime.py").write_text("NAME = 'runtime'\n")
    spec = local_spec(wheelhouse).with_platform(
        ("basin-private-b",), (PthFile("basin-runtime.pth", (str(runtime),)),)
    )
    env = make_builder().build(spec)
    code = "import fake_scoring_runtime, basin_private_b; print(fake_scoring_runtime.NAME)"
    assert run_in(env, code) == "runtime"
    assert (env.site_packages / "basin-runtime.pth").read_text() == f"{runtime}\n"


def test_local_wheel_path_builds(make_builder: Builder, copy_wheel: Callable[[str], Path]) -> None:
    wheel = copy_wheel("basin_private_a-1.0-py3-none-any.whl")
    spec = spec_from_requirements(f"--no-index\n{wheel}\n", python="3.11").spec
    env = make_builder().build(spec)
    assert f"basin-private-a @ {wheel.as_uri()}" in env.lock
    assert run_in(env, "import basin_private_a; print(basin_private_a.VERSION)") == "1.0"


def test_unknown_python_is_refused_naming_the_installed_ones(
    wheelhouse: Path, make_builder: Builder, uv_spy: UvSpy
) -> None:
    builder = make_builder()
    installed = builder.installed_pythons()
    assert installed, "uv finds no Python on this machine"
    spec = EnvironmentSpec(python="3.4", requirements=("basin-private-a",))
    with pytest.raises(ValidationError) as caught:
        builder.build(spec)
    assert "Python 3.4 is not available on this server" in caught.value.message
    assert installed[0].version_text in caught.value.message
    assert "venv" not in uv_spy.commands()


def test_nearest_python_on_request_builds_and_warns(
    wheelhouse: Path, make_builder: Builder
) -> None:
    builder = make_builder()
    spec = local_spec(wheelhouse, "basin-private-a")
    spec = EnvironmentSpec(python="3.4", requirements=spec.requirements, index=spec.index)
    env = builder.build(spec, allow_nearest_python=True)
    nearest = min(
        builder.installed_pythons(), key=lambda p: (p.version[1], [-v for v in p.version])
    )
    assert env.python_version.startswith(f"{nearest.version[0]}.{nearest.version[1]}")
    assert env.warnings and "Python 3.4 is not installed" in env.warnings[0]
    assert builder.build(spec, allow_nearest_python=True).cache_hit
    assert run_in(env, "import sys; print(sys.version_info[:2] >= (3, 0))") == "True"


def test_status_follows_the_lock(wheelhouse: Path, make_builder: Builder) -> None:
    builder = make_builder()
    key = content_hash(local_spec(wheelhouse, "basin-private-a"))
    with open(builder.cache_root / "locks" / f"{key}.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert builder.status(key).state is BuildState.RUNNING
    assert builder.status(key).state is BuildState.NOT_STARTED


@pytest.mark.parametrize("key", ["../../etc", "ABC", "0" * 31, "0" * 32 + "/x"])
def test_keys_from_callers_are_checked(make_builder: Builder, key: str) -> None:
    builder = make_builder()
    with pytest.raises(ValidationError, match="not an environment build key"):
        builder.status(key)
    with pytest.raises(ValidationError):
        builder.get(key)
