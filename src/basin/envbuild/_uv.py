"""Running uv: the child environment, streamed output, redaction, the build log."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from ._feeds import Redactor

__all__ = ["UvFailed", "UvSession", "base_environment"]

# What uv may inherit from the server's environment: paths, locale, TLS and proxy settings.
# Nothing else, so that stray UV_* / PIP_* settings or a ~/.netrc cannot change a build.
_INHERITED = (
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "PYENV_ROOT",
    "PYENV_VERSION",
    "UV_NATIVE_TLS",
    "UV_HTTP_TIMEOUT",
    "UV_PYTHON_INSTALL_DIR",
    "XDG_DATA_HOME",
)


def base_environment(cache_dir: Path, inherited: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every uv call gets (before per-build credentials and config)."""
    source = os.environ if inherited is None else inherited
    env = {name: source[name] for name in _INHERITED if name in source}
    env.update(
        UV_CACHE_DIR=str(cache_dir),
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        NO_COLOR="1",
    )
    return env


class UvFailed(Exception):
    """A uv command exited non-zero; ``lines`` is everything it printed (redacted)."""

    def __init__(self, step: str, lines: list[str], returncode: int) -> None:
        super().__init__(f"{step} failed with exit status {returncode}")
        self.step = step
        self.lines = lines
        self.returncode = returncode

    def excerpt(self, limit: int = 40) -> str:
        """uv's own error text: from its first 'error:' line, else the last lines."""
        start = next(
            (i for i, line in enumerate(self.lines) if line.lstrip().startswith("error")), None
        )
        lines = self.lines[start:] if start is not None else self.lines[-limit:]
        return "\n".join(lines[:limit]).strip() or f"uv exited with status {self.returncode}"


class UvSession:
    """Runs uv commands for one build; every line goes (redacted) to the log and to a callback."""

    def __init__(
        self,
        uv: Path,
        *,
        env: Mapping[str, str],
        cwd: Path,
        redact: Redactor,
        log: TextIO,
        on_line: Callable[[str], None],
    ) -> None:
        self._uv = uv
        self._env = dict(env)
        self._cwd = cwd
        self._redact = redact
        self._log = log
        self._on_line = on_line

    def note(self, text: str) -> None:
        """A line of basin's own in the log."""
        for line in self._redact(text).splitlines() or [""]:
            self._log.write(line + "\n")

    def run(
        self, step: str, args: Sequence[str], *, extra_env: Mapping[str, str] | None = None
    ) -> list[str]:
        """Run ``uv *args``; return its output lines or raise UvFailed."""
        # args never hold a secret (credentials travel in env), but the log is redacted anyway.
        self.note(f"$ uv {' '.join(args)}")
        lines: list[str] = []
        process = subprocess.Popen(
            [str(self._uv), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**self._env, **(extra_env or {})},
            cwd=self._cwd,
            text=True,
            errors="replace",
        )
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                line = self._redact(raw.rstrip("\n"))
                lines.append(line)
                self._log.write(line + "\n")
                self._on_line(line)
            returncode = process.wait()
        finally:
            if process.poll() is None:  # the callback raised: do not leave uv running
                process.kill()
                process.wait()
        if returncode != 0:
            raise UvFailed(step, lines, returncode)
        return lines
