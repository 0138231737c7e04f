"""Builds against a real private pypiserver that wants a token (PythonFeed connection + PAT)."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from envbuild_helpers import PrivateIndex, UvSpy, files_containing

from basin.envbuild import (
    BuildEvent,
    BuildState,
    EnvironmentBuilder,
    FeedCredential,
    content_hash,
    spec_from_requirements,
)
from basin.errors import BuildFailedError

Builder = Callable[..., EnvironmentBuilder]


@contextmanager
def watch_command_lines() -> Iterator[list[str]]:
    """Collect the command line of every process seen in /proc while the block runs."""
    seen: list[str] = []
    stop = threading.Event()

    def scan() -> None:
        while not stop.is_set():
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    raw = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if raw:
                    seen.append(raw.replace(b"\0", b" ").decode(errors="replace"))
            stop.wait(0.005)

    thread = threading.Thread(target=scan, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def private_spec(index: PrivateIndex, requirement: str = "basin-private-b") -> str:
    return f"--index-url {index.simple}\n{requirement}\n"


def test_builds_with_the_feed_token_which_never_leaks(
    private_index: PrivateIndex,
    make_builder: Builder,
    uv_spy: UvSpy,
) -> None:
    builder = make_builder()
    spec = spec_from_requirements(private_spec(private_index), python="3.11").spec
    credential = FeedCredential(private_index.url, private_index.username, private_index.token)
    events: list[BuildEvent] = []
    with watch_command_lines() as command_lines:
        env = builder.build(spec, credentials=[credential], on_event=events.append)

    assert not env.cache_hit
    assert "basin-private-a==1.0" in env.lock and "basin-private-b==2.0" in env.lock
    # The venv was built elsewhere and renamed into place: its scripts must still work.
    hello = subprocess.run([env.path / "bin" / "basin-hello"], capture_output=True, text=True)
    assert hello.stdout.strip() == "hello from basin-private-a"
    assert env.path.name == content_hash(spec)

    token = private_index.token
    assert any("uv" in line and "pip" in line for line in command_lines)  # the scan saw uv
    assert not [line for line in command_lines if token in line]
    assert uv_spy.commands() == ["python list", "venv", "pip compile", "pip sync"]
    assert not [call for call in uv_spy.calls() if any(token in arg for arg in call)]
    assert not [call for call in uv_spy.calls() if any("@127.0.0.1" in arg for arg in call)]
    assert token not in env.lock
    assert token not in env.log_path.read_text()
    assert not [event for event in events if token in event.message]
    assert files_containing(builder.cache_root, token) == []
    assert [e.state for e in events if e.kind == "state"] == [
        BuildState.RUNNING,
        BuildState.SUCCEEDED,
    ]


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789"])
def test_missing_or_wrong_token_fails_clearly(
    private_index: PrivateIndex,
    make_builder: Builder,
    uv_spy: UvSpy,
    token: str | None,
) -> None:
    builder = make_builder()
    spec = spec_from_requirements(private_spec(private_index), python="3.11").spec
    credentials = [] if token is None else [FeedCredential(private_index.url, "basin", token)]
    with pytest.raises(BuildFailedError) as caught:
        builder.build(spec, credentials=credentials)

    message = caught.value.message
    assert "resolving the requirements (uv pip compile) failed" in message
    assert "basin-private-b" in message
    assert ("401 Unauthorized" if token is None else "403 Forbidden") in message
    assert "Traceback" not in message
    key = content_hash(spec)
    assert not builder.env_path(key).exists()
    assert list((builder.cache_root / "envs").iterdir()) == []
    status = builder.status(key)
    assert status.state is BuildState.FAILED and status.message == message
    if token is not None:
        assert token not in message
        assert not [call for call in uv_spy.calls() if any(token in arg for arg in call)]
        assert files_containing(builder.cache_root, token) == []


def test_find_links_and_direct_urls_under_the_target_get_the_token(
    private_index: PrivateIndex, make_builder: Builder
) -> None:
    credential = FeedCredential(private_index.url, private_index.username, private_index.token)
    wheel_url = f"{private_index.url}packages/basin_private_a-1.0-py3-none-any.whl"
    by_find_links = f"--no-index\n-f {private_index.url}packages/\nbasin-private-b\n"
    by_direct_url = f"--no-index\n{wheel_url}\n"
    builder = make_builder()
    for text in (by_find_links, by_direct_url):
        spec = spec_from_requirements(text, python="3.11").spec
        env = builder.build(spec, credentials=[credential])
        assert "basin-private-a" in env.lock
    assert f"basin-private-a @ {wheel_url}" in env.lock
