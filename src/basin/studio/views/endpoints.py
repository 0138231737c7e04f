"""Online endpoints: the list, and one endpoint's tabs (details and traffic, test, logs,
consume, monitoring). Every read and change goes through the management API, as the CLI's do;
the test tab then calls the scoring URI with a key from ``listKeys``, as ``invoke`` does."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import httpx
from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from basin.errors import BasinError, ValidationError
from basin.studio.charts import charts_for, render
from basin.studio.views.workspaces import WORKSPACE, api_base, workspace_base
from basin.studio.web import Page, change, page

__all__ = ["routes"]

ENDPOINTS = WORKSPACE + "/endpoints"
ONE = ENDPOINTS + "/{endpoint}"
#: How much of a scoring answer the test tab shows.
SHOWN_BYTES = 64 << 10
#: How long the test tab waits for an answer (the gateway's own cap is 180 s).
SCORING_TIMEOUT_S = 200.0
#: window -> how often its charts refresh, in seconds.
REFRESH_S = {"15m": 2, "1h": 10, "24h": 60}
LOG_LINES = (100, 500, 2000)


def _endpoint_api(p: Page) -> str:
    return p.paths.endpoint(p.param("group"), p.param("workspace"), p.param("endpoint"))


def _endpoint_url(p: Page) -> str:
    return f"{workspace_base(p)}/endpoints/{p.param('endpoint')}"


async def _load(p: Page) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    path = _endpoint_api(p)
    endpoint = await p.api.get(path)
    deployments = (await p.api.get(path + "/deployments"))["value"]
    return endpoint, deployments


def _tab(p: Page, template: str, tab: str, status: int = 200, **context: Any) -> Response:
    return p.render(
        template,
        status,
        ws_url=workspace_base(p),
        ep_url=_endpoint_url(p),
        section="endpoints",
        tab=tab,
        **context,
    )


async def _list(p: Page) -> Response:
    base = api_base(p)
    found = (await p.api.get(base + "/onlineEndpoints"))["value"]
    rows = []
    for endpoint in found:
        deployments = (await p.api.get(f"{base}/onlineEndpoints/{endpoint['name']}/deployments"))[
            "value"
        ]
        rows.append((endpoint, deployments))
    return p.render("endpoints.html", rows=rows, ws_url=workspace_base(p), section="endpoints")


async def _details(p: Page, *, notice: str = "", error: BasinError | None = None) -> Response:
    endpoint, deployments = await _load(p)
    template = "_traffic.html" if p.fragment else "endpoint.html"
    return _tab(
        p,
        template,
        "details",
        error.status if error else 200,
        endpoint=endpoint,
        deployments=deployments,
        notice=notice,
        error=error,
    )


async def _show(p: Page) -> Response:
    return await _details(p)


def _percent(value: Any, field: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise ValidationError(f"{field} must be a whole percentage; got '{value}'.") from None
    if not 0 <= number <= 100:
        raise ValidationError(f"{field} must be between 0 and 100; got {number}.")
    return number


def _shares(form: Any) -> tuple[dict[str, int], dict[str, int]]:
    """The sliders' values: ``traffic:<deployment>`` and ``mirror:<deployment>`` fields."""
    traffic: dict[str, int] = {}
    mirror: dict[str, int] = {}
    for key, value in form.multi_items():
        kind, _, name = key.partition(":")
        if kind == "traffic":
            traffic[name] = _percent(value, f"Traffic of '{name}'")
        elif kind == "mirror":
            percent = _percent(value, f"Mirror traffic of '{name}'")
            if percent:
                mirror[name] = percent
    return traffic, mirror


async def _traffic(p: Page) -> Response:
    """Apply the sliders: the same PATCH as ``basin online-endpoint update --traffic``."""
    try:
        traffic, mirror = _shares(await p.form())
        await p.api.call(
            "PATCH", _endpoint_api(p), json={"traffic": traffic, "mirror_traffic": mirror}
        )
    except BasinError as error:
        # Shown in the panel, above the sliders as they are stored (nothing changed).
        return await _details(p, error=error)
    shown = ", ".join(f"{k}={v}" for k, v in traffic.items()) or "none"
    return await _details(p, notice=f"Traffic updated: {shown}.")


async def _test_page(p: Page) -> Response:
    endpoint, deployments = await _load(p)
    return _tab(p, "endpoint_test.html", "test", endpoint=endpoint, deployments=deployments)


def _credential(keys: dict[str, Any]) -> str:
    return str(keys.get("primary_key") or keys.get("access_token") or "")


async def _body_of(p: Page) -> tuple[bytes, str]:
    form = await p.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read()
        return content, upload.content_type or "application/octet-stream"
    text = str(form.get("body") or "")
    if not text.strip():
        raise ValidationError("Give a request body (JSON) or choose a file to send.")
    try:
        json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"The request body is not valid JSON: {exc}.") from None
    return text.encode(), "application/json"


def _shown(content: bytes) -> tuple[str, bool]:
    """The answer as text, pretty-printed when it is JSON; cut at SHOWN_BYTES."""
    cut = len(content) > SHOWN_BYTES
    text = content[:SHOWN_BYTES].decode("utf-8", errors="replace")
    if not cut:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return text, cut


async def _test(p: Page) -> Response:
    """Send a body to the endpoint (or one deployment) and show status, latency and answer."""
    content, content_type = await _body_of(p)
    deployment = str((await p.form()).get("deployment") or "")
    path = _endpoint_api(p)
    endpoint = await p.api.get(path)
    keys = await p.api.call("POST", path + "/listKeys")
    headers = {"Authorization": f"Bearer {_credential(keys)}", "Content-Type": content_type}
    if deployment:
        headers["azureml-model-deployment"] = deployment
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(timeout=SCORING_TIMEOUT_S) as client:
            answer = await client.post(endpoint["scoring_uri"], content=content, headers=headers)
    except httpx.TransportError as exc:
        raise ValidationError(
            f"The endpoint's scoring URI could not be reached ({type(exc).__name__})."
        ) from None
    latency_ms = (time.perf_counter() - started) * 1000
    text, cut = _shown(answer.content)
    return p.render(
        "_test_result.html",
        answer_status=answer.status_code,
        reason=answer.reason_phrase,
        latency_ms=latency_ms,
        answered_by=answer.headers.get("azureml-model-deployment", ""),
        request_id=answer.headers.get("x-request-id", ""),
        model_error=answer.headers.get("ms-azureml-model-error-reason", ""),
        text=text,
        cut=cut,
    )


def _log_options(p: Page, deployments: list[dict[str, Any]]) -> dict[str, Any]:
    names = [d["name"] for d in deployments]
    chosen = p.param("deployment") or (names[0] if names else "")
    try:
        lines = int(p.param("tail", "500"))
    except ValueError:
        lines = 500
    return {
        "deployment": chosen,
        "tail": max(1, min(lines, 5000)),
        "follow": p.param("follow") in ("1", "on", "true"),
        "names": names,
        "line_choices": LOG_LINES,
    }


async def _logs_content(p: Page, options: dict[str, Any]) -> str:
    if not options["deployment"]:
        return ""
    path = p.paths.deployment(
        p.param("group"), p.param("workspace"), p.param("endpoint"), options["deployment"]
    )
    data = await p.api.call("POST", path + "/getLogs", json={"tail": options["tail"]})
    return str(data["content"])


async def _logs_page(p: Page) -> Response:
    endpoint, deployments = await _load(p)
    options = _log_options(p, deployments)
    content = await _logs_content(p, options)
    return _tab(p, "endpoint_logs.html", "logs", endpoint=endpoint, content=content, **options)


async def _logs_fragment(p: Page) -> Response:
    _, deployments = await _load(p)
    options = _log_options(p, deployments)
    content = await _logs_content(p, options)
    return _tab(p, "_logs.html", "logs", content=content, **options)


async def _consume_page(p: Page) -> Response:
    endpoint, deployments = await _load(p)
    return _tab(p, "endpoint_consume.html", "consume", endpoint=endpoint, deployments=deployments)


async def _keys(p: Page) -> Response:
    """The one place a page shows a secret: on demand, never cached, never kept in history."""
    keys = await p.api.call("POST", _endpoint_api(p) + "/listKeys")
    response = p.render("_keys.html", keys=keys)
    response.headers["Cache-Control"] = "no-store"
    return response


def _window(p: Page) -> str:
    window = p.param("window", "15m")
    return window if window in REFRESH_S else "15m"


async def _metrics(p: Page) -> dict[str, Any]:
    data: dict[str, Any] = await p.api.get(
        _endpoint_api(p) + "/metrics", window=_window(p), deployment=p.param("deployment")
    )
    return data


def _chart_context(p: Page, metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "metrics": metrics,
        "charts": [(chart, render(chart)) for chart in charts_for(metrics)],
        "window": _window(p),
        "windows": list(REFRESH_S),
        "refresh_s": REFRESH_S[_window(p)],
        "deployment": p.param("deployment"),
    }


async def _monitoring_page(p: Page) -> Response:
    endpoint, deployments = await _load(p)
    context = _chart_context(p, await _metrics(p))
    return _tab(
        p,
        "endpoint_monitoring.html",
        "monitoring",
        endpoint=endpoint,
        deployments=deployments,
        **context,
    )


async def _charts_fragment(p: Page) -> Response:
    return _tab(p, "_charts.html", "monitoring", **_chart_context(p, await _metrics(p)))


routes = [
    Route(ENDPOINTS, page(_list)),
    Route(ONE, page(_show)),
    Route(ONE + "/traffic", change(_traffic), methods=["POST"]),
    Route(ONE + "/test", page(_test_page)),
    Route(ONE + "/test", change(_test), methods=["POST"]),
    Route(ONE + "/logs", page(_logs_page)),
    Route(ONE + "/logs/content", page(_logs_fragment)),
    Route(ONE + "/consume", page(_consume_page)),
    Route(ONE + "/consume/keys", change(_keys), methods=["POST"]),
    Route(ONE + "/monitoring", page(_monitoring_page)),
    Route(ONE + "/monitoring/charts", page(_charts_fragment)),
]
