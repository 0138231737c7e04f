"""The environment builder: a content-addressed cache of virtual environments built with uv.

Cache layout under ``cache_root``::

    uv-cache/               UV_CACHE_DIR shared by every build (wheels, metadata)
    envs/<key>/             a finished venv; ``basin-env.json`` in it marks it complete
    envs/.build-<key>-<n>/  a build in progress (removed if it fails)
    locks/<key>.lock        flock per key: one build per key at a time, across processes
    logs/<key>.log          the latest build log (redacted), written as uv prints
    state/<key>.json        why the latest build failed
    work/<key>-<n>/         a build's input files and uv config (no secrets; removed after)
    no-index/               an empty package index, used as uv's default index when the
                            public index is off (``--no-index`` would also drop the feed
                            credentials, which uv hangs on named indexes)

Atomicity: venvs are created with ``uv venv --relocatable`` (scripts find their interpreter
relative to themselves; pyvenv.cfg points only at the base interpreter), built in
``envs/.build-*`` and renamed into place when complete, so ``envs/<key>`` is either absent or
whole. Checked: entry-point scripts and ``sys.prefix`` work after the rename.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from basin.errors import BuildFailedError, ServiceUnavailableError, ValidationError

from ._conflicts import PlatformConflict
from ._feeds import FeedCredential, Redactor, uv_credentials
from ._indexes import check_air_gap, direct_urls, uv_index_args
from ._pythons import (
    PythonDownloads,
    PythonInstall,
    find_pythons,
    missing_python_message,
    select_python,
)
from ._results import BuildEvent, BuildState, BuildStatus, BuiltEnvironment
from ._spec import EnvironmentSpec, content_hash
from ._uv import UvFailed, UvSession, base_environment

__all__ = ["EnvironmentBuilder"]

_MARKER = "basin-env.json"
_LOCK_FILE = "basin-lock.txt"
_PYTHONS_TTL_S = 60.0
_STEPS = {
    "python": "installing the Python interpreter (uv python install)",
    "venv": "creating the virtual environment (uv venv)",
    "resolve": "resolving the requirements (uv pip compile)",
    "install": "installing the resolved packages (uv pip sync)",
}

EventCallback = Callable[[BuildEvent], None]
_KEY = re.compile(r"^[0-9a-f]{32}$")


def _checked(key: str) -> str:
    """Keys name files: only ever a content hash (they may come from an API caller)."""
    if not _KEY.match(key):
        raise ValidationError(f"{key!r} is not an environment build key (32 hex digits)")
    return key


class EnvironmentBuilder:
    """Turns an :class:`EnvironmentSpec` into a ready virtualenv, at most once per content hash.

    ``uv`` is the uv binary to run. With ``air_gapped`` the public index is never used: only
    the spec's own indexes, find-links and local or direct-URL wheels. ``compile_bytecode``
    writes .pyc files at build time, once, instead of in every replica's first start (Python
    fixes the recorded source paths when it loads them, so the rename into place is safe).
    """

    def __init__(
        self,
        cache_root: Path,
        uv: Path,
        *,
        air_gapped: bool = False,
        compile_bytecode: bool = False,
        inherited_env: Mapping[str, str] | None = None,
        python_downloads: PythonDownloads | None = None,
    ) -> None:
        self.cache_root = Path(cache_root)
        found = shutil.which(str(uv))
        if found is None:
            raise ServiceUnavailableError(f"the uv binary {str(uv)!r} was not found")
        self.uv = Path(found).absolute()  # uv runs in a work folder: no relative paths
        self.air_gapped = air_gapped
        self.compile_bytecode = compile_bytecode
        for folder in ("uv-cache", "envs", "locks", "logs", "state", "work", "no-index"):
            (self.cache_root / folder).mkdir(parents=True, exist_ok=True)
        self._env = base_environment(self.cache_root / "uv-cache", inherited_env)
        #: Where (and whether) missing interpreters are installed with uv.
        self.python_downloads = python_downloads or PythonDownloads(self.cache_root / "pythons")
        self._pythons: tuple[float, list[PythonInstall]] | None = None
        self._pythons_lock = threading.Lock()

    # ---- paths and lookups -------------------------------------------------------------

    def env_path(self, key: str) -> Path:
        return self.cache_root / "envs" / _checked(key)

    def log_path(self, key: str) -> Path:
        return self.cache_root / "logs" / f"{_checked(key)}.log"

    def get(self, key: str) -> BuiltEnvironment | None:
        """The finished environment for ``key``, if it is in the cache."""
        path = self.env_path(key)
        try:
            meta = json.loads((path / _MARKER).read_text())
            lock = (path / _LOCK_FILE).read_text()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return BuiltEnvironment(
            key=key,
            path=path,
            python=path / "bin" / "python",
            python_version=meta["python_version"],
            site_packages=path / meta["site_packages"],
            lock=lock,
            log_path=self.log_path(key),
            cache_hit=True,
            warnings=tuple(meta.get("warnings", ())),
        )

    def status(self, key: str) -> BuildStatus:
        """NotStarted, Running (some process holds the key's lock), Succeeded or Failed."""
        log = self.log_path(key)  # checks the key
        if self.get(key) is not None:
            return BuildStatus(BuildState.SUCCEEDED, None, log)
        with open(self.cache_root / "locks" / f"{key}.lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    return BuildStatus(BuildState.RUNNING, None, log)
                raise
            fcntl.flock(handle, fcntl.LOCK_UN)
        try:
            failure = json.loads((self.cache_root / "state" / f"{key}.json").read_text())
        except FileNotFoundError:
            return BuildStatus(BuildState.NOT_STARTED, None, log)
        return BuildStatus(BuildState.FAILED, failure["message"], log)

    # ---- clean-up -----------------------------------------------------------------------

    def _remove_abandoned(self, key: str) -> None:
        """A killed build's half-made venv and work folder; the caller holds the key's lock."""
        for stale in (
            *(self.cache_root / "envs").glob(f".build-{key}-*"),
            *(self.cache_root / "work").glob(f"{key}-*"),
        ):
            shutil.rmtree(stale, ignore_errors=True)

    def sweep_abandoned(self) -> int:
        """Remove what killed builds left (a process killed mid-build cannot): every half-made
        venv and work folder whose key no running build holds. Safe while other processes
        build in the same cache: a key being built keeps its lock. Returns the keys swept."""
        keys = {
            p.name[len(".build-") :].split("-")[0]
            for p in (self.cache_root / "envs").glob(".build-*")
        }
        keys |= {p.name.split("-")[0] for p in (self.cache_root / "work").iterdir()}
        swept = 0
        for key in sorted(k for k in keys if _KEY.match(k)):
            with open(self.cache_root / "locks" / f"{key}.lock", "a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a build of this key runs now
                try:
                    self._remove_abandoned(key)
                    swept += 1
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        return swept

    # ---- building -----------------------------------------------------------------------

    def build(
        self,
        spec: EnvironmentSpec,
        *,
        credentials: Sequence[FeedCredential] = (),
        allow_nearest_python: bool = False,
        on_event: EventCallback | None = None,
    ) -> BuiltEnvironment:
        """Return the environment for ``spec``, building it if no build is cached.

        Concurrent calls for one spec (threads or processes) share one build. Raises
        ValidationError for a spec this machine cannot build as asked (Python not installed,
        public URLs in air-gapped mode) and BuildFailedError with uv's own words when the
        build fails.
        """
        emit: EventCallback = on_event or (lambda event: None)
        if self.air_gapped:
            check_air_gap(spec)
        key = content_hash(spec)
        if (found := self._cached(key, emit)) is not None:
            return found
        python, warning = self.choose_python(spec.python, allow_nearest=allow_nearest_python)
        warnings: list[str] = []
        if warning is not None:
            warnings.append(warning)
            emit(BuildEvent(key, "warning", warning))
        if python != spec.python:
            # The stand-in Python changes the environment, so it changes the key too.
            spec = replace(spec, python=python)
            key = content_hash(spec)
            if (found := self._cached(key, emit)) is not None:
                return found
        with self._key_lock(key, emit):
            # Whoever held the lock may just have built it: share that build.
            if (found := self._cached(key, emit)) is not None:
                return found
            return self._build_locked(key, spec, warnings, credentials, emit)

    def installed_pythons(self, *, refresh: bool = False) -> list[PythonInstall]:
        """Interpreters found here (cached for a minute; nothing is downloaded)."""
        with self._pythons_lock:
            now = time.monotonic()
            if refresh or self._pythons is None or now - self._pythons[0] > _PYTHONS_TTL_S:
                roots = (self.python_downloads.install_dir,)
                self._pythons = (now, find_pythons(self.uv, self._env, roots))
            return list(self._pythons[1])

    def choose_python(self, requested: str, *, allow_nearest: bool) -> tuple[str, str | None]:
        """The Python version a spec asking for ``requested`` is built with ('3.11' or
        '3.11.7', as a spec writes it), and a note when that is a stand-in or will be
        installed. Raises ValidationError (naming what is here) when it cannot be had."""
        install, warning = select_python(
            requested,
            self.installed_pythons(),
            allow_nearest=allow_nearest,
            downloads_allowed=self.python_downloads.allowed,
        )
        if install is None:
            return requested, (
                f"Python {requested} is not on this server; the build installs it with uv"
            )
        if warning is None:
            return requested, None
        return install.minor_text, warning

    def _interpreter(self, spec: EnvironmentSpec, session: UvSession) -> PythonInstall:
        """The interpreter for a spec whose version was chosen, installing it if allowed."""
        install, _ = select_python(
            spec.python,
            self.installed_pythons(),
            allow_nearest=False,
            downloads_allowed=self.python_downloads.allowed,
        )
        if install is not None:
            return install
        downloads = self.python_downloads
        downloads.install_dir.mkdir(parents=True, exist_ok=True)
        try:
            # --no-bin: nothing goes into the server user's ~/.local/bin
            args = ["python", "install", "--no-bin", spec.python]
            session.run("python", args, extra_env=downloads.environment())
        except UvFailed as failed:
            raise ValidationError(
                missing_python_message(
                    spec.python, self.installed_pythons(), downloads_allowed=True
                )
                + f"\nuv said: {failed.excerpt(10)}"
            ) from None
        install, _ = select_python(
            spec.python, self.installed_pythons(refresh=True), allow_nearest=False
        )
        assert install is not None  # select_python raises when it is still missing
        return install

    def _cached(self, key: str, emit: EventCallback) -> BuiltEnvironment | None:
        found = self.get(key)
        if found is not None:
            emit(BuildEvent(key, "step", "environment found in the build cache"))
            emit(BuildEvent(key, "state", "Succeeded", BuildState.SUCCEEDED))
        return found

    @contextlib.contextmanager
    def _key_lock(self, key: str, emit: EventCallback) -> Iterator[None]:
        # flock locks belong to the open file description, so this excludes other threads of
        # this process (each opens its own) as well as other processes.
        with open(self.cache_root / "locks" / f"{key}.lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                emit(BuildEvent(key, "step", "waiting for the same build in progress elsewhere"))
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _build_locked(
        self,
        key: str,
        spec: EnvironmentSpec,
        warnings: list[str],
        credentials: Sequence[FeedCredential],
        emit: EventCallback,
    ) -> BuiltEnvironment:
        token = secrets.token_hex(4)
        envs = self.cache_root / "envs"
        self._remove_abandoned(key)  # left by a killed build of this key
        building = envs / f".build-{key}-{token}"
        work = self.cache_root / "work" / f"{key}-{token}"
        work.mkdir()
        (self.cache_root / "state" / f"{key}.json").unlink(missing_ok=True)
        redact = Redactor(credentials)
        emit(BuildEvent(key, "state", "Running", BuildState.RUNNING))
        step = "prepare"
        with open(self.log_path(key), "w", buffering=1, encoding="utf-8") as log:
            session = self._session(spec, credentials, work, redact, log, key, emit)
            try:
                session.note(f"basin environment build {key}")
                for warning in warnings:
                    session.note(f"warning: {warning}")
                step = "python"
                install = self._interpreter(spec, session)
                session.note(f"python {install.version_text} ({install.path})")
                step = "venv"
                emit(BuildEvent(key, "step", _STEPS[step]))
                session.run(
                    step, ["venv", "--relocatable", "--python", install.path, str(building)]
                )
                step = "resolve"
                lock = self._resolve_and_install(key, spec, building, work, session, emit)
                step = "finalize"
                self._finalize(key, spec, install, building, lock, warnings, redact)
                os.rename(building, self.env_path(key))
            except BaseException as exc:
                shutil.rmtree(building, ignore_errors=True)
                message = self._failure_message(key, step, exc, redact)
                session.note(f"build failed: {message}")
                self._record_failure(key, message)
                emit(BuildEvent(key, "state", "Failed", BuildState.FAILED))
                if isinstance(exc, UvFailed | OSError):
                    raise BuildFailedError(message) from None
                raise
            finally:
                shutil.rmtree(work, ignore_errors=True)
            session.note("build succeeded")
        emit(BuildEvent(key, "state", "Succeeded", BuildState.SUCCEEDED))
        built = self.get(key)
        assert built is not None
        return replace(built, cache_hit=False)

    def _session(
        self,
        spec: EnvironmentSpec,
        credentials: Sequence[FeedCredential],
        work: Path,
        redact: Redactor,
        log: TextIO,
        key: str,
        emit: EventCallback,
    ) -> UvSession:
        urls = [*spec.index.urls(), *direct_urls(spec.all_requirements())]
        config, secret_env = uv_credentials(urls, credentials)
        (work / "uv.toml").write_text(config)
        (work / "netrc").write_text("")
        env = dict(self._env)
        env.update(secret_env)
        # Only basin's config and connections count: no user/system uv.toml, no ~/.netrc.
        env.update(
            UV_CONFIG_FILE=str(work / "uv.toml"),
            XDG_CONFIG_HOME=str(work),
            NETRC=str(work / "netrc"),
        )
        return UvSession(
            self.uv,
            env=env,
            cwd=work,
            redact=redact,
            log=log,
            on_line=lambda line: emit(BuildEvent(key, "output", line)),
        )

    def _resolve_and_install(
        self,
        key: str,
        spec: EnvironmentSpec,
        building: Path,
        work: Path,
        session: UvSession,
        emit: EventCallback,
    ) -> str:
        requirements = spec.all_requirements()
        if not requirements:
            return ""
        python = str(building / "bin" / "python")
        index_args = uv_index_args(spec.index, self.cache_root / "no-index", self.air_gapped)
        (work / "requirements.in").write_text("\n".join(requirements) + "\n")
        # An existing output file is uv's list of preferred versions.
        (work / "lock.txt").write_text("".join(line + "\n" for line in spec.preferred))
        emit(BuildEvent(key, "step", _STEPS["resolve"]))
        try:
            self._compile(session, python, work / "requirements.in", work / "lock.txt", index_args)
        except UvFailed as failed:
            if not spec.platform_requirements:
                raise
            raise self._blame(spec, failed, session, python, work, index_args) from None
        emit(BuildEvent(key, "step", _STEPS["install"]))
        session.run(
            "install",
            [
                "pip",
                "sync",
                str(work / "lock.txt"),
                "--python",
                python,
                "--color",
                "never",
                *(["--compile-bytecode"] if self.compile_bytecode else []),
                *index_args,
            ],
        )
        return (work / "lock.txt").read_text()

    @staticmethod
    def _compile(
        session: UvSession, python: str, source: Path, output: Path, index_args: Sequence[str]
    ) -> None:
        args = ["pip", "compile", str(source), "--python", python, "--output-file", str(output)]
        session.run("resolve", [*args, "--no-header", "--color", "never", *index_args])

    def _blame(
        self,
        spec: EnvironmentSpec,
        failed: UvFailed,
        session: UvSession,
        python: str,
        work: Path,
        index_args: Sequence[str],
    ) -> UvFailed:
        """The failure to report: the user's own conflict, or theirs with the platform's."""
        session.note("resolving without what the platform adds, to tell whose conflict it is")
        user = spec.user_requirements()
        (work / "user.in").write_text("".join(line + "\n" for line in user))
        try:
            self._compile(session, python, work / "user.in", work / "user-lock.txt", index_args)
        except UvFailed as own:
            return own  # the user's requirements conflict among themselves
        return PlatformConflict(failed, user, spec.platform_requirements, "basin's scoring runtime")

    def _finalize(
        self,
        key: str,
        spec: EnvironmentSpec,
        install: PythonInstall,
        building: Path,
        lock: str,
        warnings: list[str],
        redact: Redactor,
    ) -> None:
        major, minor, _ = install.version
        site = Path("lib") / f"python{major}.{minor}" / "site-packages"
        for pth in spec.pth_files:
            (building / site / pth.name).write_text("".join(line + "\n" for line in pth.lines))
        (building / _LOCK_FILE).write_text(redact(lock))
        meta: dict[str, Any] = {
            "key": key,
            "python_version": install.version_text,
            "site_packages": str(site),
            "warnings": warnings,
            "requirements": list(spec.all_requirements()),
            "base": spec.base,
        }
        # Written last: its presence is what makes the folder a finished build.
        (building / _MARKER).write_text(json.dumps(meta, indent=2))

    def _failure_message(self, key: str, step: str, exc: BaseException, redact: Redactor) -> str:
        if isinstance(exc, UvFailed):
            step, detail = exc.step, exc.excerpt()
        else:
            detail = f"{type(exc).__name__}: {exc}"
        what = _STEPS.get(step, step)
        message = f"environment {key} could not be built: {what} failed.\n{detail}"
        if self.air_gapped and step in ("resolve", "install"):
            message += (
                "\nThis server is air-gapped: packages come only from private feeds, find-links "
                "and uploaded wheels, never from the public index. Publish the missing package "
                "to a private feed or upload its wheel to the workspace."
            )
        return redact(message)

    def _record_failure(self, key: str, message: str) -> None:
        path = self.cache_root / "state" / f"{key}.json"
        path.write_text(json.dumps({"state": "Failed", "message": message}))
