"""schemathesis over the management API (#13): no 5xx, and every 4xx in the one error shape.

The OpenAPI document is FastAPI's (``create_app(...).openapi()``); the requests go to a real
``basin server`` with the admin's token, so authorisation, the body limits and the store are
all in the path. A fixed seed and a bounded number of examples per operation keep the run the
same every time and short. Path parameters are steered half of the time to resources that exist
(the installation's subscription, a group, a workspace, an endpoint, ...), so the fuzzed bodies
reach the services instead of stopping at "not found".
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.core.result import Ok

from basin.server.app import create_app
from basin.testing import ServerProcess

#: Examples per operation (78 operations): ~2,000 requests in all, about a minute on 2 cores.
EXAMPLES = 20
SEED = 20261313

#: What exists on the server (made by the ``target`` fixture); keys are path parameter names,
#: or (collection segment, parameter) where one name means different things on different routes.
KNOWN_GROUP = "rg-fuzz"
KNOWN = {
    "group": KNOWN_GROUP,
    "workspace": "ws-fuzz",
    "endpoint": "ep-fuzz",
    ("workspaces", "name"): "ws-fuzz",
    ("storageAccounts", "name"): "fuzzstore1",
    ("userAssignedIdentities", "name"): "uai-fuzz",
    ("onlineEndpoints", "name"): "ep-fuzz",
    ("models", "name"): "m-fuzz",
    ("connections", "name"): "c-fuzz",
    "version": "1",
}


def _openapi() -> dict[str, Any]:
    # The document depends on the routes only: no platform is needed to make it.
    document: dict[str, Any] = create_app(None).openapi()  # type: ignore[arg-type]
    return document


schema = schemathesis.openapi.from_dict(_openapi())


@pytest.fixture(scope="module")
def target(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server, with one of each resource the steered path parameters name."""
    from basin import MLClient
    from basin.entities import ManagedOnlineEndpoint, Model, Workspace, WorkspaceConnection

    with MLClient(
        None, None, KNOWN_GROUP, "ws-fuzz", server=server.url, token=server.token
    ) as client:
        client.resource_groups.create_or_update(KNOWN_GROUP)
        client.workspaces.begin_create(Workspace(name="ws-fuzz")).result()
        client.storage_accounts.begin_create("fuzzstore1").result()
        client.identities.begin_create("uai-fuzz").result()
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name="ep-fuzz")
        ).result()
        model = tmp_path_factory.mktemp("fuzz") / "model.txt"
        model.write_text("a model")
        client.models.create_or_update(Model(name="m-fuzz", version="1", path=str(model)))
        client.connections.create_or_update(
            WorkspaceConnection(
                name="c-fuzz",
                type="python_feed",
                target="https://pkgs.example.com/simple/",
                credentials={"type": "pat", "pat": "fuzz-pat-not-a-secret"},
            )
        )
    yield server.url


def _steer(case: schemathesis.Case[Any]) -> None:
    """Half of the cases (chosen from their own content, so the run stays deterministic) get
    the names of existing resources; the subscription is always the installation's."""
    parameters = case.path_parameters or {}
    if "subscription_id" in parameters:
        parameters["subscription_id"] = SUBSCRIPTION["id"]
    if case.method.upper() == "DELETE":
        return  # deleting the fixtures would leave the rest of the run nothing to reach
    if zlib.crc32(repr(sorted(parameters.items())).encode()) % 2:
        return
    segments = case.path.split("/")
    for name in parameters:
        if name == "subscription_id":
            continue
        marker = "{" + name + "}"
        before = segments[segments.index(marker) - 1] if marker in segments else ""
        known = KNOWN.get((before, name), KNOWN.get(name))
        if isinstance(known, str):
            parameters[name] = known


SUBSCRIPTION: dict[str, str] = {}
#: Answers by class (2 = 2xx, ...), so the run can show it reached past the checks.
SENT: Counter[int] = Counter()


@pytest.fixture(scope="module")
def admin(target: str, server: ServerProcess) -> dict[str, str]:
    SUBSCRIPTION["id"] = server.credentials["subscription_id"]
    return {"Authorization": f"Bearer {server.token}"}


#: The managed-identity endpoint speaks the MSI protocol, whose clients (azure-identity's
#: ManagedIdentityCredential) read OAuth's error shape: the one route exempt from basin's.
MSI_TOKEN = "/basin/msi/token"


def check_error_shape(status: int, text: str, what: str) -> None:
    assert status < 500, f"{what} -> {status}: {text[:500]}"
    if 400 <= status < 500:
        try:
            body = json.loads(text)
        except ValueError:
            raise AssertionError(f"{what} -> {status} is not JSON: {text[:300]!r}") from None
        if what.split()[-1] == MSI_TOKEN and isinstance(body.get("error"), str):
            assert body.get("error_description"), text
            return
        error = body.get("error") if isinstance(body, dict) else None
        assert isinstance(error, dict), f"{what} -> {status}: {text[:300]}"
        assert isinstance(error.get("code"), str) and error["code"], f"{what}: {text[:300]}"
        assert isinstance(error.get("message"), str) and error["message"], f"{what}: {text[:300]}"


def test_no_5xx_and_one_error_shape(
    target: str, admin: dict[str, str], server: ServerProcess
) -> None:
    """Every operation of the document, EXAMPLES generated cases each (one pytest item: the
    same run under xdist, whose workers cannot share schemathesis' per-operation items)."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is valid
        operation = result.ok()

        @hypothesis.seed(SEED)
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=False,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case[Any]) -> None:
            _call_and_check(case, target, admin, server)

        try:
            fuzz()
        except AssertionError as failed:
            failures.append(f"{operation.method.upper()} {operation.path}: {failed}")
    assert failures == [], "\n\n".join(failures)


def _call_and_check(
    case: schemathesis.Case[Any], target: str, admin: dict[str, str], server: ServerProcess
) -> None:
    _steer(case)
    try:
        response = case.call(base_url=target, headers=admin, timeout=60)
    except requests.ConnectionError:
        process = server.process
        code = process.poll() if process else None
        raise AssertionError(
            f"{case.method} {case.formatted_path}: the server does not answer (exit code "
            f"{code}); its last lines:\n" + "".join(server.output[-40:])
        ) from None
    SENT[response.status_code // 100] += 1
    what = f"{case.method} {case.formatted_path}"
    check_error_shape(response.status_code, response.text, what)


def test_the_shape_check_catches_what_it_must() -> None:
    """The check above fails on a 5xx, a non-JSON 4xx and a 4xx in another shape."""
    check_error_shape(200, "not json at all", "ok")
    check_error_shape(404, '{"error": {"code": "NotFound", "message": "No."}}', "ok")
    for status, text in (
        (500, '{"error": {"code": "InternalError", "message": "An internal error occurred."}}'),
        (422, '{"detail": [{"loc": ["body"], "msg": "field required"}]}'),
        (400, "Bad Request"),
        (404, '{"error": {"code": "NotFound"}}'),
    ):
        with pytest.raises(AssertionError):
            check_error_shape(status, text, "bad")


def test_routes_outside_the_document_answer_in_the_error_shape(
    target: str, admin: dict[str, str]
) -> None:
    """What the document cannot generate: unknown routes, wrong methods, bad credentials,
    oversized and malformed bodies, a wrong subscription."""
    sub = SUBSCRIPTION["id"]
    group = f"/subscriptions/{sub}/resourceGroups/{KNOWN_GROUP}"
    with httpx.Client(base_url=target, timeout=60) as http:
        for method, path, headers, content in (
            ("GET", "/no/such/route", admin, None),
            ("POST", group, admin, None),
            ("GET", group, {}, None),
            ("GET", group, {"Authorization": "Bearer nope"}, None),
            ("GET", group, {"Authorization": "Basic !!!"}, None),
            ("GET", group, {"Authorization": "Bearer a.b.c"}, None),
            ("PUT", group, admin, b"{not json"),
            ("PUT", group, admin, b'"a string"'),
            ("PUT", group, admin, b"[1, 2]"),
            ("PUT", group, admin, b"\xff\xfe"),
            ("PUT", group, admin, b"{}" + b" " * (5 << 20)),
            ("GET", f"/subscriptions/{sub[::-1]}/resourceGroups", admin, None),
            ("GET", f"{group}/providers/Microsoft.Nothing/things/x", admin, None),
        ):
            response = http.request(
                method,
                path,
                headers={**headers, "Content-Type": "application/json"},
                content=content,
            )
            check_error_shape(response.status_code, response.text, f"{method} {path}")
            assert response.status_code >= 400, f"{method} {path}"


def test_the_fuzzing_reached_the_services() -> None:
    """Runs after the fuzzing (same module, same worker): it sent requests, and enough of them
    got past authorisation and "not found" to succeed."""
    print(f"schemathesis answers by class: {dict(sorted(SENT.items()))}")
    assert sum(SENT.values()) >= 60 * EXAMPLES, SENT  # 87 operations
    assert SENT[2] >= 100, SENT
