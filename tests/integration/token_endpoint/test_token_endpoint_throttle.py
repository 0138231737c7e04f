"""``login.microsoftonline.com``'s token endpoint in-process: wrong secrets are answered with
Entra's 401 until the application is held back with a 429 and ``Retry-After``; the tokens it
issues carry Azure's claims."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import jwt

from basin.server.login import create_login_app
from basin.server.login.throttle import TokenThrottle
from basin.services import principals
from basin.testing.platform import platform_under_test


def _post(app: object, path: str, form: dict[str, str]) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5000))  # type: ignore[arg-type]
        async with httpx.AsyncClient(
            transport=transport, base_url="https://login.microsoftonline.com"
        ) as client:
            return await client.post(path, data=form)

    return asyncio.run(send())


def test_wrong_secrets_are_throttled_and_good_tokens_carry_azures_claims(tmp_path: Path) -> None:
    with platform_under_test(tmp_path) as made:
        platform = made.platform
        tenant = platform.installation.tenant_id
        app = create_login_app(platform, TokenThrottle(failures_per_client=(2, 60.0)))
        sp = principals.create(platform, "throttled-app")
        assert sp.password is not None
        path = f"/{tenant}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": sp.app_id,
            "client_secret": sp.password,
            "scope": "https://management.azure.com/.default",
        }
        good = _post(app, path, form)
        assert good.status_code == 200
        claims = jwt.decode(good.json()["access_token"], options={"verify_signature": False})
        assert claims["aud"] == "https://management.azure.com"
        assert claims["iss"] == f"https://sts.windows.net/{tenant}/" and claims["tid"] == tenant
        assert claims["oid"] == sp.id and claims["appid"] == sp.app_id
        wrong = form | {"client_secret": "guess"}
        for _ in range(2):
            refused = _post(app, path, wrong)
            assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        held = _post(app, path, form)  # even the right secret waits now
        assert held.status_code == 429 and int(held.headers["retry-after"]) >= 1
        assert held.json()["error"] == "temporarily_unavailable"
        assert "AADSTS50196" in held.json()["error_description"]
        assert sp.password not in held.text and "guess" not in held.text
