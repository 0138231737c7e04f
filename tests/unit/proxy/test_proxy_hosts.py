"""The proxy's host registry, passthrough patterns and dispatch (ASGI, in process)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from basin.server.proxy import AZURE_DOMAINS, HostRegistry, Passthrough, ProxyApp, azure_hosts
from basin.server.proxy.app import TUNNEL_TARGET, split_host_port


def _echo(label: str) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = f"{label} {sorted(scope.get('extensions', {}).items())}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


def test_azure_hosts_carry_the_account_or_vault_in_the_scope() -> None:
    registry = azure_hosts(blob=_echo("blob"), keyvault=_echo("kv"), login=_echo("login"))
    blob = registry.match("MyAcct1.blob.core.windows.net.")
    assert blob and blob.route.name == "blob" and blob.label == "myacct1"
    assert blob.scope_for({"extensions": {"x": 1}})["extensions"] == {
        "x": 1,
        "basin.host_account": "myacct1",
    }
    vault = registry.match("my-vault.vault.azure.net")
    assert vault and vault.route.name == "keyvault" and vault.label == "my-vault"
    login = registry.match("login.microsoftonline.com")
    assert login and login.route.name == "login" and login.label is None
    for other in ("blob.core.windows.net", "a.b.blob.core.windows.net", "management.azure.com",
                  "evil-login.microsoftonline.com", "x.vault.azure.net.example.com"):  # fmt: skip
        assert registry.match(other) is None, other
    # the registry is what the next surface (management.azure.com) is added to
    registry.add("arm", r"management\.azure\.com", _echo("arm"))
    assert registry.match("management.azure.com").route.name == "arm"  # type: ignore[union-attr]
    # with the ARM adapter, ml.azure.com's REST API goes to it too (model management)
    arm = _echo("arm")
    served = azure_hosts(blob=_echo("blob"), management=arm).match("ml.azure.com")
    assert served is not None and served.route.app is arm
    assert "ml.azure.com" in AZURE_DOMAINS
    assert all(domain.count(".") >= 2 for domain in AZURE_DOMAINS)
    with pytest.raises(ValueError, match="one group"):
        HostRegistry().add("bad", r"x\.example", _echo("x"), extension="basin.x")


@pytest.mark.parametrize(
    ("patterns", "host", "port", "allowed"),
    [
        ((), "pypi.org", 443, False),
        (("*",), "anything.example", 443, True),
        (("pypi.org",), "PyPI.org", 443, True),
        (("pypi.org",), "files.pypi.org", 443, False),
        (("*.pythonhosted.org",), "files.pythonhosted.org", 443, True),
        (("*.pythonhosted.org",), "pythonhosted.org.evil.example", 443, False),
    ],
)
def test_passthrough_patterns(
    patterns: tuple[str, ...], host: str, port: int, allowed: bool
) -> None:
    assert Passthrough(patterns).allows(host, port) is allowed


def test_the_servers_own_listeners_are_always_reachable() -> None:
    passthrough = Passthrough((), always=[("127.0.0.1", 7461), ("::1", 7461)])
    assert passthrough.allows("127.0.0.1", 7461) and passthrough.allows("[::1]", 7461)
    assert not passthrough.allows("127.0.0.1", 22)


def test_split_host_port() -> None:
    assert split_host_port("Example.com:8443", 443) == ("example.com", 8443)
    assert split_host_port("example.com", 443) == ("example.com", 443)
    assert split_host_port("[::1]:7461", 443) == ("::1", 7461)
    assert split_host_port("::1", 80) == ("::1", 80)


def _call(app: ProxyApp, scope: dict[str, Any]) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    headers = dict(sent[0]["headers"])
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def _scope(host: str, scheme: str = "https", **extra: Any) -> dict[str, Any]:
    return {
        "type": "http", "method": "GET", "path": "/c/b", "raw_path": b"/c/b", "scheme": scheme,
        "query_string": b"sig=secret", "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 5), **extra,
    }  # fmt: skip


def test_dispatch_by_host_or_tunnel_target(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="basin.proxy")
    app = ProxyApp(azure_hosts(blob=_echo("blob")), Passthrough())
    status, headers, body = _call(app, _scope("acct1.blob.core.windows.net"))
    assert status == 200 and body.startswith(b"blob") and b"acct1" in body
    assert b"date" in headers  # the proxy's server sends none of its own
    # inside a CONNECT tunnel the tunnel's host decides, not the Host header
    tunnelled = _scope(
        "other.example", extensions={TUNNEL_TARGET: ("acct2.blob.core.windows.net", 443)}
    )
    assert b"acct2" in _call(app, tunnelled)[2]
    status, _, body = _call(app, _scope("www.example.com:8080", scheme="http"))
    assert status == 403 and b"www.example.com" in body and b"BASIN_PROXY_PASSTHROUGH" in body
    assert "acct1.blob.core.windows.net/c/b -> 200 blob" in caplog.text
    assert "secret" not in caplog.text  # query strings (SAS signatures) are never logged
