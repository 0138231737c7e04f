"""basin at Azure's own host names: the stock clients, configured only by ``basin env``.

A real server; ``azure-storage-blob``, ``azure-identity``, ``azure-keyvault-secrets``, ``requests``
and raw ``ssl`` sockets talk to ``https://{account}.blob.core.windows.net``,
``https://{vault}.vault.azure.net`` and ``https://login.microsoftonline.com`` through basin's
forward proxy, trusting basin's CA from the bundle ``basin env`` names. The server may pass
through to ``localhost`` only (``BASIN_PROXY_PASSTHROUGH``), where a local HTTPS server stands in
for the outside world. The last test reads the server's whole log for every secret the others
used.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.identity import ClientSecretCredential, DefaultAzureCredential
from azure.keyvault.secrets import SecretClient
from azure.storage.blob import (
    AccountSasPermissions,
    BlobClient,
    BlobSasPermissions,
    BlobServiceClient,
    ResourceTypes,
    generate_account_sas,
    generate_blob_sas,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from basin import MLClient
from basin.entities import Environment, Workspace
from basin.testing import ServerProcess
from basin.testing.files import files_containing
from basin.testing.packages import make_wheel
from tests.conftest import run_cli
from tests.e2e.test_environments import _version_in
from tests.e2e.test_workspaces_cli import assign, fails, ok

ACCOUNT = "azhoststore1"
STORAGE = "https://storage.azure.com/.default"
#: Every secret a test used; the last test looks for each in the server's log.
SECRETS: list[str] = []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, build_cache: Path) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("home")
    env = {"BASIN_BUILD_CACHE": str(build_cache), "BASIN_PROXY_PASSTHROUGH": '["localhost"]'}
    with ServerProcess(home, extra_env=env) as process:
        yield process


@pytest.fixture(scope="module")
def azure_env(server: ServerProcess) -> dict[str, str]:
    """What ``basin env`` prints, as a mapping."""
    printed = run_cli(server.home, "env")
    assert printed.code == 0, printed.err
    variables = {}
    for line in printed.out.splitlines():
        assert line.startswith("export "), line
        name, _, value = line[len("export ") :].partition("=")
        variables[name] = value.strip("'")
    return variables


@pytest.fixture(autouse=True)
def through_basin(azure_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's clients use the variables, as a notebook after eval "$(basin env)"."""
    for name, value in azure_env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def setup(server: ServerProcess) -> dict[str, Any]:
    """A group, a storage account with one blob, a service principal and the tenant."""

    def cli(*args: str) -> Any:
        return ok(run_cli(server.home, *args))

    cli("group", "create", "-n", "rg-az")
    account = cli("storage", "account", "create", "-n", ACCOUNT, "-g", "rg-az")
    keys = cli("storage", "account", "keys", "list", "-n", ACCOUNT, "-g", "rg-az")
    sp = cli("ad", "sp", "create", "--display-name", "az-app")
    tenant = cli("account", "show")["tenant_id"]
    SECRETS.extend([keys[0]["value"], keys[1]["value"], sp["password"]])
    return {"account": account, "key": keys[0]["value"], "sp": sp, "tenant": tenant}


def _credential(setup: dict[str, Any], secret: str | None = None) -> ClientSecretCredential:
    sp = setup["sp"]
    return ClientSecretCredential(setup["tenant"], sp["appId"], secret or sp["password"])


def test_basin_env_prints_the_proxy_and_ca_variables(
    server: ServerProcess, azure_env: dict[str, str]
) -> None:
    info = ok(run_cli(server.home, "account", "show"))
    proxy = info["endpoints"]["proxy"]
    assert azure_env["HTTPS_PROXY"] == azure_env["https_proxy"] == proxy
    assert {"127.0.0.1", "localhost", "::1"} <= set(azure_env["NO_PROXY"].split(","))
    bundle = server.credentials["ca_file"]
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        assert azure_env[name] == bundle
    unset = run_cli(server.home, "env", "--unset").out.split()
    assert "HTTPS_PROXY" in unset and "REQUESTS_CA_BUNDLE" in unset


def test_blob_with_shared_key_at_the_azure_host_name(setup: dict[str, Any]) -> None:
    connection = (
        f"DefaultEndpointsProtocol=https;AccountName={ACCOUNT};AccountKey={setup['key']};"
        "EndpointSuffix=core.windows.net"
    )
    service = BlobServiceClient.from_connection_string(connection, max_single_put_size=4096)
    assert service.url == f"https://{ACCOUNT}.blob.core.windows.net/"
    container = service.get_container_client("data")
    container.create_container()
    container.upload_blob("hello.txt", b"hello from the Azure host name")
    # larger than max_single_put_size: staged blocks and a block list, each signed
    big = bytes(range(256)) * 100
    container.upload_blob("dir/big.bin", big, metadata={"Owner": "Ada"})
    assert container.download_blob("dir/big.bin").readall() == big
    assert container.download_blob("dir/big.bin", offset=10, length=5).readall() == big[10:15]
    assert container.get_blob_client("dir/big.bin").get_blob_properties().metadata == {
        "Owner": "Ada"
    }
    assert sorted(b.name for b in container.list_blobs()) == ["dir/big.bin", "hello.txt"]
    assert [c.name for c in service.list_containers()] == ["data"]
    container.delete_blob("dir/big.bin")
    with pytest.raises(ResourceNotFoundError):
        container.download_blob("dir/big.bin")
    wrong = BlobServiceClient(
        f"https://{ACCOUNT}.blob.core.windows.net",
        credential={"account_name": ACCOUNT, "account_key": "AAAA" + setup["key"][4:]},
    )
    with pytest.raises(ClientAuthenticationError):
        wrong.get_container_client("data").get_container_properties()


def test_blob_with_sas_at_the_azure_host_name(setup: dict[str, Any]) -> None:
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    sas = generate_blob_sas(
        ACCOUNT, "data", "hello.txt", account_key=setup["key"],
        permission=BlobSasPermissions(read=True), expiry=expiry,
    )  # fmt: skip
    SECRETS.append(sas.split("sig=", 1)[1].split("&", 1)[0])
    url = f"https://{ACCOUNT}.blob.core.windows.net/data/hello.txt?{sas}"
    blob = BlobClient.from_blob_url(url)
    assert blob.download_blob().readall() == b"hello from the Azure host name"
    with pytest.raises(HttpResponseError) as refused:
        blob.upload_blob(b"overwrite", overwrite=True)
    assert refused.value.status_code == 403
    account_sas = generate_account_sas(
        ACCOUNT, setup["key"], ResourceTypes(service=True), AccountSasPermissions(list=True),
        expiry,
    )  # fmt: skip
    SECRETS.append(account_sas.split("sig=", 1)[1].split("&", 1)[0])
    listed = BlobServiceClient(f"https://{ACCOUNT}.blob.core.windows.net", credential=account_sas)
    assert [c.name for c in listed.list_containers()] == ["data"]


def test_blob_with_bearer_tokens_from_login_microsoftonline(
    server: ServerProcess, setup: dict[str, Any]
) -> None:
    sp = setup["sp"]
    blob_url = f"https://{ACCOUNT}.blob.core.windows.net/data/hello.txt"
    credential = _credential(setup)
    blob = BlobClient.from_blob_url(blob_url, credential=credential)
    with pytest.raises(HttpResponseError) as no_role:
        blob.download_blob()
    assert no_role.value.status_code == 403
    assign(
        lambda *a: run_cli(server.home, *a), sp["id"], "Storage Blob Data Reader",
        setup["account"]["id"],
    )  # fmt: skip
    assert blob.download_blob().readall() == b"hello from the Azure host name"
    with pytest.raises(HttpResponseError) as read_only:
        blob.upload_blob(b"nope", overwrite=True)
    assert read_only.value.status_code == 403
    # requests with a bearer token, as a script calling the REST API does
    token = credential.get_token(STORAGE).token
    SECRETS.append(token)
    answer = requests.get(
        blob_url, headers={"Authorization": f"Bearer {token}", "x-ms-version": "2021-08-06"}
    )
    assert answer.status_code == 200 and answer.text == "hello from the Azure host name"


def test_azure_identity_credentials_sign_in_at_login_microsoftonline(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sp = setup["sp"]
    monkeypatch.setenv("AZURE_TENANT_ID", setup["tenant"])
    monkeypatch.setenv("AZURE_CLIENT_ID", sp["appId"])
    monkeypatch.setenv("AZURE_CLIENT_SECRET", sp["password"])
    token = DefaultAzureCredential().get_token("https://management.azure.com/.default")
    SECRETS.append(token.token)
    claims = json.loads(_b64(token.token.split(".")[1]))
    assert claims["aud"] == "https://management.azure.com" and claims["oid"] == sp["id"]
    with pytest.raises(ClientAuthenticationError) as bad_secret:
        _credential(setup, "basin_wrong_secret").get_token(STORAGE)
    assert "Invalid client secret" in str(bad_secret.value)
    other_tenant = ClientSecretCredential(
        "00000000-0000-0000-0000-000000000000", sp["appId"], sp["password"]
    )
    with pytest.raises(ClientAuthenticationError) as bad_tenant:
        other_tenant.get_token(STORAGE)
    assert setup["tenant"] in str(bad_tenant.value)


def _b64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_key_vault_with_the_stock_secret_client(
    server: ServerProcess, setup: dict[str, Any]
) -> None:
    def cli(*args: str) -> Any:
        return run_cli(server.home, *args)

    vault = ok(cli("keyvault", "create", "-n", "azkv-one", "-g", "rg-az"))
    assert vault["vaultUri"] == "https://azkv-one.vault.azure.net/"
    assert vault["enableRbacAuthorization"] is True
    officer = ok(cli("ad", "sp", "create", "--display-name", "kv-officer"))
    reader = ok(cli("ad", "sp", "create", "--display-name", "kv-reader"))
    SECRETS.extend([officer["password"], reader["password"]])
    assign(cli, officer["id"], "Key Vault Secrets Officer", vault["id"])
    assign(cli, reader["id"], "Key Vault Secrets User", vault["id"])
    tenant = setup["tenant"]
    client = SecretClient(
        vault["vaultUri"], ClientSecretCredential(tenant, officer["appId"], officer["password"])
    )
    first = client.set_secret("db-password", "kv-value-one-5e1d", content_type="text/plain")
    second = client.set_secret("db-password", "kv-value-two-9a7c", tags={"env": "test"})
    SECRETS.extend(["kv-value-one-5e1d", "kv-value-two-9a7c"])
    assert first.properties.version != second.properties.version
    assert client.get_secret("db-password").value == "kv-value-two-9a7c"
    assert client.get_secret("db-password", first.properties.version).value == "kv-value-one-5e1d"
    assert [p.name for p in client.list_properties_of_secrets()] == ["db-password"]
    versions = list(client.list_properties_of_secret_versions("db-password"))
    assert {v.version for v in versions} == {first.properties.version, second.properties.version}
    updated = client.update_secret_properties("db-password", content_type="application/json")
    assert updated.content_type == "application/json" and updated.tags == {"env": "test"}
    # a Key Vault Secrets User reads, but cannot write
    as_reader = SecretClient(
        vault["vaultUri"], ClientSecretCredential(tenant, reader["appId"], reader["password"])
    )
    assert as_reader.get_secret("db-password").value == "kv-value-two-9a7c"
    with pytest.raises(HttpResponseError) as refused:
        as_reader.set_secret("db-password", "x")
    assert refused.value.status_code == 403 and "Key Vault Secrets Officer" in str(refused.value)
    # soft delete, recover, delete again, purge
    deleted = client.begin_delete_secret("db-password", _polling_interval=0.1).result()
    assert deleted.recovery_id == "https://azkv-one.vault.azure.net/deletedsecrets/db-password"
    with pytest.raises(ResourceNotFoundError):
        client.get_secret("db-password")
    assert [d.name for d in client.list_deleted_secrets()] == ["db-password"]
    with pytest.raises(HttpResponseError) as in_use:
        client.set_secret("db-password", "new")
    assert in_use.value.status_code == 409
    client.begin_recover_deleted_secret("db-password", _polling_interval=0.1).wait()
    assert client.get_secret("db-password").value == "kv-value-two-9a7c"
    client.begin_delete_secret("db-password", _polling_interval=0.1).wait()
    client.purge_deleted_secret("db-password")
    with pytest.raises(ResourceNotFoundError):
        client.get_deleted_secret("db-password")
    # sealed at rest: no value in the server's files (the database included)
    assert files_containing(server.home, "kv-value-two-9a7c") == []


def test_keyvault_secret_cli_mirrors_az(server: ServerProcess) -> None:
    def cli(*args: str) -> Any:
        return run_cli(server.home, *args)

    ok(cli("keyvault", "create", "-n", "azkv-cli", "-g", "rg-az"))
    me = ok(cli("account", "show"))["caller"]["object_id"]
    vault_id = ok(cli("keyvault", "show", "-n", "azkv-cli"))["id"]  # no group: found by name
    fails(cli("keyvault", "secret", "set", "--vault-name", "azkv-cli", "-n", "s1", "--value", "v"),
          "Key Vault Secrets Officer")  # fmt: skip
    assign(cli, me, "Key Vault Secrets Officer", vault_id)
    shown = ok(
        cli("keyvault", "secret", "set", "--vault-name", "azkv-cli", "-n", "s1", "--value", "one")
    )
    assert shown["name"] == "s1" and shown["value"] == "one"
    assert shown["id"].startswith("https://azkv-cli.vault.azure.net/secrets/s1/")
    ok(cli("keyvault", "secret", "set", "--vault-name", "azkv-cli", "-n", "s1", "--value", "two"))
    assert (
        ok(cli("keyvault", "secret", "show", "--vault-name", "azkv-cli", "-n", "s1"))["value"]
        == "two"
    )
    listed = ok(cli("keyvault", "secret", "list", "--vault-name", "azkv-cli"))
    assert [s["name"] for s in listed] == ["s1"] and "value" not in listed[0]
    versions = ok(
        cli("keyvault", "secret", "list-versions", "--vault-name", "azkv-cli", "-n", "s1")
    )
    assert len(versions) == 2
    ok(cli("keyvault", "secret", "delete", "--vault-name", "azkv-cli", "-n", "s1"))
    fails(
        cli("keyvault", "secret", "show", "--vault-name", "azkv-cli", "-n", "s1"), "was not found"
    )
    assert ok(cli("keyvault", "secret", "show-deleted", "--vault-name", "azkv-cli", "-n", "s1"))[
        "recoveryId"
    ].endswith("/deletedsecrets/s1")
    assert [
        s["name"] for s in ok(cli("keyvault", "secret", "list-deleted", "--vault-name", "azkv-cli"))
    ] == ["s1"]
    ok(cli("keyvault", "secret", "recover", "--vault-name", "azkv-cli", "-n", "s1"))
    ok(cli("keyvault", "secret", "delete", "--vault-name", "azkv-cli", "-n", "s1"))
    assert cli("keyvault", "secret", "purge", "--vault-name", "azkv-cli", "-n", "s1").code == 0
    assert ok(cli("keyvault", "secret", "list-deleted", "--vault-name", "azkv-cli")) == []
    fails(cli("keyvault", "secret", "set", "--vault-name", "azkv-cli", "-n", "bad_name", "--value", "v"),
          "invalid name")  # fmt: skip
    fails(
        cli("keyvault", "secret", "show", "--vault-name", "no-such-vault", "-n", "s1"),
        "no-such-vault",
    )
    ok(cli("keyvault", "delete", "-n", "azkv-cli"))
    assert "azkv-cli" not in [v["name"] for v in ok(cli("keyvault", "list"))]


def test_vault_with_access_policies(server: ServerProcess, setup: dict[str, Any]) -> None:
    """az keyvault create --enable-rbac-authorization false, then set-policy, as the examples do."""

    def cli(*args: str) -> Any:
        return run_cli(server.home, *args)

    vault = ok(cli("keyvault", "create", "-n", "azkv-policy", "-g", "rg-az",
                   "--enable-rbac-authorization", "false"))  # fmt: skip
    assert vault["enableRbacAuthorization"] is False
    # the creator may use the vault at once, as with az
    ok(
        cli(
            "keyvault",
            "secret",
            "set",
            "--vault-name",
            "azkv-policy",
            "-n",
            "multiplier",
            "--value",
            "7",
        )
    )
    sp = setup["sp"]
    client = SecretClient(vault["vaultUri"], _credential(setup))
    with pytest.raises(HttpResponseError) as no_policy:
        client.get_secret("multiplier")
    assert no_policy.value.status_code == 403 and "set-policy" in str(no_policy.value)
    ok(cli("keyvault", "set-policy", "-n", "azkv-policy", "--object-id", sp["id"],
           "--secret-permissions", "get"))  # fmt: skip
    assert client.get_secret("multiplier").value == "7"
    with pytest.raises(HttpResponseError) as no_list:
        list(client.list_properties_of_secrets())
    assert no_list.value.status_code == 403 and "secrets list permission" in str(no_list.value)
    fails(cli("keyvault", "set-policy", "-n", "azkv-policy", "--object-id", sp["id"],
              "--secret-permissions", "fly"), "Unknown secret permission")  # fmt: skip
    ok(cli("keyvault", "delete-policy", "-n", "azkv-policy", "--object-id", sp["id"]))
    with pytest.raises(HttpResponseError):
        client.get_secret("multiplier")


# ------------------------------------------------------------------------- the outside world
def _test_ca(folder: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in for a public CA")])
    cert = _certificate(name, name, key.public_key(), key, ca=True)
    path = folder / "outside-ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public: Any,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    dns: tuple[str, ...] = (),
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


def _leaf_files(
    folder: Path, signer: ec.EllipticCurvePrivateKey, issuer: x509.Name, host: str
) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    cert = _certificate(subject, issuer, key.public_key(), signer, dns=(host,))
    cert_path, key_path = folder / f"{host}.pem", folder / f"{host}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from outside"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


def _serve(context: ssl.SSLContext | None) -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    if context is not None:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_other_hosts_are_refused_unless_passthrough_allows_them(
    azure_env: dict[str, str], tmp_path: Path
) -> None:
    proxy = azure_env["HTTPS_PROXY"]
    key, ca, ca_path = _test_ca(tmp_path)
    cert, cert_key = _leaf_files(tmp_path, key, ca.subject, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, cert_key)
    session = requests.Session()
    session.trust_env = False  # NO_PROXY would send loopback past the proxy
    proxies = {"https": proxy, "http": proxy}
    tls_server, plain_server = _serve(context), _serve(None)
    tls_port, plain_port = next(tls_server), next(plain_server)
    try:
        # allowed: a tunnel to the real server, whose own certificate the client checks
        answer = session.get(f"https://localhost:{tls_port}/", proxies=proxies, verify=str(ca_path))
        assert answer.status_code == 200 and answer.text == "hello from outside"
        plain = session.get(f"http://localhost:{plain_port}/x", proxies=proxies)
        assert plain.status_code == 200 and plain.text == "hello from outside"
        # refused, with the host named where the client shows it
        for host in ("www.example.com", f"127.0.0.1:{tls_port}"):
            with pytest.raises(requests.exceptions.ProxyError) as refused:
                session.get(f"https://{host}/", proxies=proxies, verify=str(ca_path))
            assert "403" in str(refused.value)
            assert f"basin proxy refuses {host.split(':')[0]}" in str(refused.value)
        plain_refused = session.get(f"http://127.0.0.1:{plain_port}/x", proxies=proxies)
        assert plain_refused.status_code == 403
        assert "BASIN_PROXY_PASSTHROUGH" in plain_refused.text and "127.0.0.1" in plain_refused.text
    finally:
        for server in (tls_server, plain_server):
            next(server, None)


def test_basins_ca_cannot_vouch_for_other_names(server: ServerProcess, tmp_path: Path) -> None:
    """Even with basin's CA key, a certificate for a name outside its constraints is refused."""
    ca_dir = server.home / "tls" / "ca"
    ca = x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes())
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    ca_key = serialization.load_pem_private_key((ca_dir / "ca-key.pem").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    client = ssl.create_default_context(cafile=server.credentials["ca_file"])
    for host, trusted in (("www.example.com", False), ("x.blob.core.windows.net", True)):
        cert, key = _leaf_files(tmp_path, ca_key, ca.subject, host)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        tls_server = _serve(context)
        port = next(tls_server)
        try:
            with socket.create_connection(("127.0.0.1", port)) as raw:
                if trusted:  # the control: the same forging works for a permitted name
                    client.wrap_socket(raw, server_hostname=host).close()
                else:
                    with pytest.raises(ssl.SSLCertVerificationError) as refused:
                        client.wrap_socket(raw, server_hostname=host)
                    assert "subtree" in str(refused.value)  # OpenSSL: permitted subtree violation
        finally:
            next(tls_server, None)


def test_environment_with_a_wheel_at_a_blob_core_windows_net_url(
    server: ServerProcess, setup: dict[str, Any], tmp_path: Path, build_cache: Path
) -> None:
    def cli(*args: str) -> Any:
        return run_cli(server.home, *args)

    acct = ("--account-name", ACCOUNT, "-g", "rg-az")
    ok(cli("storage", "container", "create", "-n", "wheels", *acct))
    wheel = make_wheel(tmp_path, "basin-azure-url-pkg", "0.2.0")
    ok(cli("storage", "blob", "upload", "-n", wheel.name, "-c", "wheels", "-f", str(wheel), *acct))
    with MLClient(None, None, "rg-az", "ws-az", server=server.url, token=server.token) as client:
        workspace = client.workspaces.begin_create(Workspace(name="ws-az")).result()
        assert workspace.identity and workspace.identity.principal_id
        assign(
            cli, workspace.identity.principal_id, "Storage Blob Data Reader", setup["account"]["id"]
        )
        url = f"https://{ACCOUNT}.blob.core.windows.net/wheels/{wheel.name}"
        env = Environment(
            name="azure-url-env",
            image="basin:minimal",
            conda_file={"dependencies": ["python=3.11", {"pip": [url]}]},
        )
        made = client.environments.create_or_update(env)
        built = client.environments.wait_for_build(made.name or "", made.version or "")
    assert _version_in(build_cache, built, "basin_azure_url_pkg") == "0.2.0"


def test_nothing_secret_in_the_servers_log(server: ServerProcess) -> None:
    """Run last: the proxy's and the services' log lines of every test above."""
    log = "".join(server.output)
    assert "CONNECT" in log and "blob.core.windows.net" in log and "vault.azure.net" in log
    assert len(SECRETS) >= 10
    for secret in SECRETS:
        assert secret not in log
