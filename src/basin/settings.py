"""The one typed settings source, read only at entry points (server start, CLI, demo).

Everything below the entry points takes plain arguments. Each setting is an environment variable
``BASIN_<NAME>``; ``docs/architecture.md`` lists them (a test keeps that list true).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from basin.errors import ValidationError

__all__ = ["ServerSettings", "default_home", "load_server_settings"]


def default_home() -> Path:
    return Path.home() / ".basin"


class ServerSettings(BaseSettings):
    """Settings of ``basin server``."""

    model_config = SettingsConfigDict(env_prefix="BASIN_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="Where all state lives.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata store; default: SQLite under the home.",
    )
    host: str = Field(default="127.0.0.1", description="Address the management API binds to.")
    port: int = Field(default=7460, description="Port of the management API (0: any free port).")
    blob_port: int = Field(default=7461, description="Port of the blob service (0: any free).")
    gateway_port: int = Field(
        default=7462, description="Port of the scoring gateway (0: any free)."
    )
    advertise_host: str | None = Field(
        default=None,
        description="The name or address replicas on other nodes and remote clients use for "
        "this server (its URLs and certificate); default: host, or this machine's name when "
        "host is 0.0.0.0 or ::.",
    )
    api_tls: bool | None = Field(
        default=None,
        description="Serve the management API (tokens, MSI, package index) over HTTPS with the "
        "blob service's certificate; default: when host is not a loopback address.",
    )
    gateway_workers: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Gateway processes sharing the scoring port (SO_REUSEPORT); one per core "
        "on a many-core server. Each holds its share of every in-flight limit.",
    )
    gateway_cpus: list[int] | None = Field(
        default=None,
        description="CPUs the gateway's workers are pinned to, one each in turn (JSON list, "
        "e.g. [6, 7]; [] leaves them unpinned); default: the last gateway_workers CPUs where the "
        "server may use more CPUs than that. Local replicas are placed on the others first.",
    )
    proxy_port: int = Field(
        default=7463,
        description="Port of the forward proxy that answers Azure's host names (0: any free).",
    )
    proxy_passthrough: list[str] = Field(
        default_factory=list,
        description="Hosts the proxy forwards to their real destination, as a JSON list of "
        "patterns ('pypi.org', '*.example.com', '*' for all); default: none (air-gapped).",
    )
    trusted_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs besides loopback that count as private for public_network_access.",
    )
    location: str = Field(default="local", description="The location given to new resources.")
    tls_cert_file: Path | None = Field(
        default=None,
        description="PEM certificate (chain) for the blob service; default: one issued by "
        "basin's own certificate authority under the home.",
    )
    tls_key_file: Path | None = Field(default=None, description="Private key of tls_cert_file.")
    build_cache: Path | None = Field(
        default=None,
        description="Where built environments and uv's cache live; default: envs/ under the home.",
    )
    air_gapped: bool = Field(
        default=False,
        description="Build environments from private feeds and uploaded wheels only.",
    )
    python_downloads: bool = Field(
        default=False,
        description="Let environment builds install a Python version this machine lacks with "
        "'uv python install' (into python_install_dir); off: only interpreters already here "
        "(PATH, pyenv, uv-managed installs) are used.",
    )
    python_install_mirror: str | None = Field(
        default=None,
        description="URL that replaces the public python-build-standalone downloads when "
        "python_downloads is on (uv's UV_PYTHON_INSTALL_MIRROR), for an internal mirror.",
    )
    python_downloads_json_url: str | None = Field(
        default=None,
        description="A JSON list of the site's own Python downloads (uv's "
        "UV_PYTHON_DOWNLOADS_JSON_URL), used when python_downloads is on.",
    )
    python_install_dir: Path | None = Field(
        default=None,
        description="Where installed interpreters go; default: pythons/ in the build cache.",
    )
    key_rotation_days: float = Field(
        default=30.0,
        ge=0,
        description="Age at which the token-signing key is replaced by a new one (the old one "
        "verifies until its tokens have expired); 0: never.",
    )

    compute: str = Field(
        default="local://",
        description="Where replicas run: local:// (processes on this machine) or "
        "ray://HOST:PORT (the Ray Client address of an existing Ray cluster).",
    )
    instance_types_file: Path | None = Field(
        default=None,
        description="YAML/JSON list of the operator's own instance types (name, cpus, "
        "memory_gib, gpus, resources), added to Azure's sizes.",
    )
    gpus: list[str] | None = Field(
        default=None,
        description='GPU ids the local back end hands out (JSON list, e.g. ["0", "1"]); '
        "default: the NVIDIA GPUs the driver shows.",
    )
    cgroup_root: Path | None = Field(
        default=None,
        description="A delegated cgroup v2 folder (or a cgroup v1 memory folder) for replica "
        "memory limits; default: /sys/fs/cgroup when it is a writable cgroup v2 root, else "
        "the server's own cgroup v1 memory folder when writable, else RLIMIT_DATA.",
    )

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'basin.db'}"


def load_server_settings(**overrides: Any) -> ServerSettings:
    """``ServerSettings`` from the environment and ``overrides``. A bad value is a
    ``ValidationError`` naming each variable and what it takes, never the value (some carry
    secrets, e.g. a database URL's password)."""
    try:
        return ServerSettings(**overrides)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"BASIN_{str(problem['loc'][0]).upper()}: {problem['msg']}"
            for problem in error.errors(include_url=False, include_input=False)
        )
    except SettingsError as error:  # a JSON value that does not parse, before validation
        problems = str(error)
    raise ValidationError(
        f"A server setting is not valid: {problems}. Correct it (docs/architecture.md lists "
        "each BASIN_ setting and what it takes) and start again."
    )
