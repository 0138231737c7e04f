"""``basin server``: one process that owns all state and serves the control plane's surfaces."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from ssl import get_default_verify_paths as ssl_paths
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from uv import find_uv_bin

from basin.blobs import LocalBlobStore
from basin.compute import (
    ArtifactSource,
    ComputeBackend,
    check_compute_url,
    gateway_cpus,
    idle_polling_hint,
    load_instance_types,
    open_compute,
)
from basin.envbuild import EnvironmentBuilder, PythonDownloads
from basin.files import remove_temporaries, replace_file
from basin.gateway import RoutingTable
from basin.gateway.process import GatewayProcess, write_table
from basin.identity import KeyRing, TokenIssuer
from basin.identity.rotation import RETIRE_MARGIN_S, KeyRotation
from basin.keyvault import SecretVault, load_or_create_master_key
from basin.server.app import create_app
from basin.server.arm import create_arm_app
from basin.server.blob import create_blob_app
from basin.server.blob.protocol import MetadataCaseProtocol
from basin.server.keyvault import create_keyvault_app
from basin.server.login import AUTHORITY, create_login_app
from basin.server.proxy import AZURE_DOMAINS, Passthrough, azure_hosts, proxy_config
from basin.services import endpoints, environments, housekeeping, workspaces
from basin.services.artifacts import ArtifactShelf
from basin.services.blob_access import PlatformAccounts, PlatformBearerAuthorizer
from basin.services.builds import BuildManager
from basin.services.installation import (
    ensure_admin,
    ensure_installation,
    grant_admin_owner,
    write_credentials,
)
from basin.services.monitoring import RequestLog
from basin.services.platform import Platform
from basin.services.serving import GoneHook, ReplicaHook, ServingController
from basin.settings import ServerSettings
from basin.store import MetadataStore, open_store
from basin.tls import (
    CertificateAuthority,
    LeafCertificates,
    default_hosts,
    ensure_certificate_authority,
    ensure_server_certificate,
    load_server_certificate,
)

__all__ = ["ServerHandle", "run_server"]

logger = logging.getLogger("basin.server")

#: How long a stop waits for requests in flight before closing their connections.
GRACE_S = 10
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to ``run_server`` (it runs several)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: accepted sockets inherit it, and asyncio turns Nagle off (TCP_NODELAY)
    # only on sockets that say they are TCP. With Nagle on, a response written as headers then
    # body waits for the client's delayed ACK: ~40 ms on every small request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # Listen at once: clients that connect before uvicorn starts accepting wait in the backlog
    # instead of being refused.
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _advertised(settings: ServerSettings) -> str:
    """How others reach this server: the operator's name, else the bound address (a wildcard
    address names no one: the machine's name then)."""
    if settings.advertise_host:
        return settings.advertise_host
    if settings.host in ("0.0.0.0", "::", ""):
        return socket.getfqdn()
    return settings.host


def _api_tls(settings: ServerSettings) -> bool:
    """Tokens travel on the API: TLS by default as soon as it listens beyond loopback."""
    if settings.api_tls is not None:
        return settings.api_tls
    try:
        return not ipaddress.ip_address(settings.host).is_loopback
    except ValueError:
        return True  # a name: assume it is reachable from elsewhere


def _url(scheme: str, host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


@dataclass
class ServerHandle:
    platform: Platform
    store: MetadataStore
    servers: list[_Server]
    sockets: list[socket.socket]
    gateway: GatewayProcess
    serving: ServingController
    request_log: RequestLog
    key_rotation: KeyRotation | None

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True


def _prepare_home(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)


def _builder(settings: ServerSettings, home: Path) -> EnvironmentBuilder:
    cache = settings.build_cache or home / "envs"
    downloads = PythonDownloads(
        install_dir=settings.python_install_dir or cache / "pythons",
        allowed=settings.python_downloads,
        mirror=settings.python_install_mirror,
        downloads_json_url=settings.python_downloads_json_url,
    )
    return EnvironmentBuilder(
        cache, Path(find_uv_bin()), air_gapped=settings.air_gapped, python_downloads=downloads
    )


def build(settings: ServerSettings) -> ServerHandle:
    """Open the store, make the installation and bind the sockets; nothing served yet."""
    home = settings.home.expanduser()
    check_compute_url(settings.compute)  # a bad URL stops the start before anything is made
    pinned = gateway_cpus(settings.gateway_cpus, settings.gateway_workers)
    instance_types = load_instance_types(settings.instance_types_file)
    _prepare_home(home)
    store = open_store(settings.resolved_database_url())
    installation = ensure_installation(store)
    vault = SecretVault(load_or_create_master_key(home / "master.key"))
    api_socket = _bind(settings.host, settings.port)
    blob_socket = _bind(settings.host, settings.blob_port)
    proxy_socket = _bind(settings.host, settings.proxy_port)
    advertised = _advertised(settings)
    api_tls = _api_tls(settings)
    cert = _certificate(settings, home, advertised)
    keyring = KeyRing(home / "keys")
    gateway_table = RoutingTable()
    gateway_dir = home / "gateway"
    gateway_dir.mkdir(mode=0o700, exist_ok=True)
    remove_temporaries(gateway_dir)  # a killed gateway's, before this one's writes there
    gateway = GatewayProcess(
        gateway_dir / "routes.json",
        gateway_dir / "requests.jsonl",
        host=settings.host,
        port=settings.gateway_port,
        env={
            **os.environ,
            "BASIN_KEYRING_DIR": str(keyring.directory),
            "BASIN_TENANT_ID": installation.tenant_id,
        },
        verifier_factory="basin.identity.endpoint_tokens:verifier_from_environment",
        workers=settings.gateway_workers,
        cpus=pinned,
    )
    write_table(gateway_table, gateway.table_file)  # no routes of a past life until reconciled
    gateway.start()
    platform = Platform(
        store=store,
        vault=vault,
        installation=installation,
        location=settings.location,
        api_endpoint=_url("https" if api_tls else "http", advertised, api_socket),
        blob_endpoint=_url("https", advertised, blob_socket),
        tokens=TokenIssuer(keyring, tenant_id=installation.tenant_id),
        blobs=LocalBlobStore(home / "blobs"),
        builds=BuildManager(_builder(settings, home)),
        state_dir=home,
        gateway_endpoint=gateway.url,
        proxy_endpoint=_url("http", advertised, proxy_socket),
    )
    credentials = home / "credentials.json"
    token = ensure_admin(store, credentials)
    if token is not None:
        write_credentials(credentials, token=token)
    write_credentials(
        credentials,
        server=platform.api_endpoint,
        subscription_id=installation.subscription_id,
        tenant_id=installation.tenant_id,
    )
    grant_admin_owner(platform)
    workspaces.purge_expired(platform)
    housekeeping.sweep_after_crash(platform)  # before anything new is made aside
    environments.resume_builds(platform)
    platform.ca_bundle = cert.bundle
    write_credentials(credentials, ca_file=str(cert.bundle))
    request_log = RequestLog(platform)
    request_log.follow(gateway.request_log)
    platform.events.subscribe(endpoints.CHANGED, request_log.forget)

    shelf = ArtifactShelf()
    source = ArtifactSource(platform.api_endpoint, shelf.key, cert.bundle.read_text())

    def compute(replica_env: ReplicaHook, replica_gone: GoneHook) -> ComputeBackend:
        return open_compute(
            settings.compute,
            home,
            replica_env=replica_env,
            on_replica_gone=replica_gone,
            gpus=settings.gpus,
            gateway=pinned,
            cgroup_root=settings.cgroup_root,
            artifacts=source,
        )

    serving = ServingController(
        platform,
        compute,
        gateway_table,
        publish=gateway.publish,
        instance_types=instance_types,
        artifacts=shelf,
    )
    serving.compute.subscribe(request_log.sample_replicas)  # replica counts for the metrics API
    app = create_app(platform, trusted_networks=settings.trusted_networks, serving=serving)
    tls: dict[str, Any] = {}
    if api_tls:
        tls = {"ssl_certfile": str(cert.cert_path), "ssl_keyfile": str(cert.key_path)}
    api = _Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=GRACE_S,
            **tls,
        )
    )
    assert platform.blobs is not None
    blob_app = create_blob_app(
        platform.blobs,
        PlatformAccounts(platform),
        PlatformBearerAuthorizer(platform),
        authorization_uri=f"{platform.api_endpoint}/{installation.tenant_id}/oauth2/authorize",
    )
    blob = _Server(
        uvicorn.Config(
            blob_app,
            http=MetadataCaseProtocol,  # httptools, keeping how metadata names were spelled
            log_level="warning",
            access_log=False,  # query strings carry SAS signatures
            date_header=False,  # the blob app sends its own Date header
            lifespan="off",
            timeout_graceful_shutdown=GRACE_S,
            ssl_certfile=str(cert.cert_path),
            ssl_keyfile=str(cert.key_path),
        )
    )
    proxy = _Server(_proxy_config(settings, platform, cert, serving))
    rotation = None
    if settings.key_rotation_days > 0:
        assert platform.tokens is not None
        rotation = KeyRotation(
            keyring,
            max_age_s=settings.key_rotation_days * 86400.0,
            grace_s=platform.tokens.max_lifetime_s + RETIRE_MARGIN_S,
        )
    return ServerHandle(
        platform,
        store,
        [api, blob, proxy],
        [api_socket, blob_socket, proxy_socket],
        gateway,
        serving,
        request_log,
        rotation,
    )


@dataclass(frozen=True)
class _Certificate:
    cert_path: Path
    key_path: Path
    #: The system's CAs plus basin's: what clients and replicas trust.
    bundle: Path
    #: basin's own CA (name-constrained): it issues the proxy's certificates.
    ca: CertificateAuthority


def _certificate(settings: ServerSettings, home: Path, advertised: str) -> _Certificate:
    """The blob service's certificate (the operator's, or one from basin's CA), basin's CA, and
    the bundle that trusts both with the system's CAs."""
    tls_dir = home / "tls"
    hosts = list(dict.fromkeys([advertised, settings.host, *default_hosts()]))
    # The CA may vouch only for what basin serves: Azure's domains through the proxy, and this
    # server's own names. An older CA without these constraints is replaced (tls.py).
    ca = ensure_certificate_authority(tls_dir / "ca", permitted=[*AZURE_DOMAINS, *hosts])
    issuers = [ca.cert_path]
    if settings.tls_cert_file and settings.tls_key_file:
        served = load_server_certificate(settings.tls_cert_file, settings.tls_key_file)
        issuers.insert(0, served.cert_path)
    else:
        served = ensure_server_certificate(ca, tls_dir / "server", hosts=hosts)
    bundle = tls_dir / "bundle.pem"
    system = Path(ssl_paths().cafile or "")
    parts = [system.read_text()] if system.is_file() else []
    parts += [issuer.read_text() for issuer in issuers]
    tls_dir.mkdir(parents=True, exist_ok=True)
    replace_file(bundle, "\n".join(parts), mode=0o644)
    return _Certificate(served.cert_path, served.key_path, bundle, ca)


def _proxy_config(
    settings: ServerSettings, platform: Platform, cert: _Certificate, serving: ServingController
) -> uvicorn.Config:
    """The forward proxy: Azure's host names answered in this process by the blob service,
    the key vault data plane, the token endpoints and the ARM API."""
    assert platform.blobs is not None
    tenant = platform.installation.tenant_id
    registry = azure_hosts(
        blob=create_blob_app(
            platform.blobs,
            PlatformAccounts(platform),
            PlatformBearerAuthorizer(platform),
            authorization_uri=f"{AUTHORITY}/{tenant}/oauth2/authorize",
        ),
        keyvault=create_keyvault_app(platform, authority=AUTHORITY),
        login=create_login_app(platform),
        management=create_arm_app(
            platform, serving=serving, trusted_networks=settings.trusted_networks
        ),
    )
    # The server's own listeners are always reachable through it (a client whose NO_PROXY
    # misses them still works); other hosts only where the setting allows.
    always = []
    for endpoint in (platform.api_endpoint, platform.blob_endpoint, platform.gateway_endpoint):
        parts = urlsplit(endpoint)
        names = {parts.hostname or settings.host}
        if names & _LOOPBACK:
            names |= _LOOPBACK
        always += [(name, parts.port or 0) for name in names]
    passthrough = Passthrough(settings.proxy_passthrough, always)
    return proxy_config(
        registry,
        passthrough,
        LeafCertificates(cert.ca, cert.ca.cert_path.parent.parent / "proxy"),
        timeout_graceful_shutdown=GRACE_S,
    )


async def _serve(handle: ServerHandle) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, handle.stop)
    await asyncio.gather(
        *(
            server.serve(sockets=[sock])
            for server, sock in zip(handle.servers, handle.sockets, strict=True)
        )
    )


def run_server(settings: ServerSettings) -> None:
    """Serve until SIGTERM/SIGINT, then stop cleanly (in-flight requests finish)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname).1s %(name)s - %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    handle = build(settings)
    handle.serving.start()
    if handle.key_rotation is not None:
        handle.key_rotation.start()
    logger.info(
        "basin server: management API %s, blob service %s, gateway %s, proxy %s, home %s",
        handle.platform.api_endpoint,
        handle.platform.blob_endpoint,
        handle.platform.gateway_endpoint,
        handle.platform.proxy_endpoint,
        settings.home,
    )
    hint = idle_polling_hint()
    if hint is not None:
        logger.warning("basin server: %s", hint)
    # The line tests and scripts wait for; flushed so a parent reading a pipe sees it at once.
    print(f"basin server ready at {handle.platform.api_endpoint}", flush=True)
    try:
        asyncio.run(_serve(handle))
    finally:
        if handle.key_rotation is not None:
            handle.key_rotation.stop()
        handle.serving.close()  # stops every replica: no orphans
        handle.gateway.stop()
        handle.request_log.close()
        if handle.platform.builds is not None:
            handle.platform.builds.shutdown()
        for sock in handle.sockets:
            sock.close()
        handle.store.close()
        logger.info("basin server stopped")
