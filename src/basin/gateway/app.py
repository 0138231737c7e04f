"""The gateway ASGI app: the front door of online endpoints (raw ASGI, for speed).

Routes: ``/endpoints/{endpoint}/...`` (``score``, ``swagger.json`` and anything else, forwarded
to a replica as ``/...``), ``GET /metrics`` (Prometheus) and ``GET /health``. Per request, in
this order: unknown endpoint 404, credential 401, declared body size 413, deployment (header, else
weighted choice; none 404), no ready replica 503, too many in flight 429, then the replica's
answer (200, else 424) or 408 / 413 / 502 on the way.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import random
import time
from collections.abc import Callable, MutableMapping
from typing import Any, Final, NamedTuple

from basin.gateway.balance import DeploymentState, EndpointPlan, ReplicaState, Router
from basin.gateway.metrics import CONTENT_TYPE, GatewayMetrics, Series
from basin.gateway.proxy import (
    Deadlines,
    Exchange,
    Receive,
    Responder,
    forward,
    forward_now,
    send_copy,
)
from basin.gateway.records import RequestRecord, RequestSink
from basin.gateway.replies import (
    JSON,
    OVERLOADED_REASON,
    Header,
    Send,
    error_body,
    request_id_headers,
    send_reply,
)
from basin.gateway.table import RoutingTable, TokenVerifier

__all__ = ["DEFAULT_MAX_BODY_BYTES", "GatewayApp"]

try:  # Python's own SHA-256: on a short key, cheaper than OpenSSL's (its EVP set-up per call)
    from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.12 renamed it _sha2
    from hashlib import sha256 as _sha256

logger = logging.getLogger("basin.gateway")

Scope = MutableMapping[str, Any]

#: what nginx allows in Azure's inference images
DEFAULT_MAX_BODY_BYTES: Final = 100 * 1024 * 1024
#: how long a finished request waits to be counted and recorded
BOOKKEEPING_INTERVAL_S: Final = 0.05

_PREFIX: Final = b"/endpoints/"
_METHODS: Final = {m.decode(): m for m in (b"GET", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"HEAD")}
# Request headers read by the gateway (kind > 0 is also not forwarded as is).
_AUTHORIZATION: Final = 0
_DEPLOYMENT: Final = 1
_RID: Final = 2
_LEGACY_RID: Final = 3
_CLIENT_RID: Final = 4
_LENGTH: Final = 5
_HOP: Final = 6
_SPECIAL: Final = {
    b"authorization": _AUTHORIZATION,
    b"azureml-model-deployment": _DEPLOYMENT,
    b"x-request-id": _RID,
    b"x-ms-request-id": _LEGACY_RID,
    b"x-ms-client-request-id": _CLIENT_RID,
    b"content-length": _LENGTH,
    # hop-by-hop: they describe the client's connection, not the request
    b"connection": _HOP,
    b"keep-alive": _HOP,
    b"proxy-connection": _HOP,
    b"proxy-authorization": _HOP,
    b"transfer-encoding": _HOP,
    b"te": _HOP,
    b"trailer": _HOP,
    b"upgrade": _HOP,
    b"expect": _HOP,  # the front server already answered 100-continue to the client
}
_TEXT: Final[Header] = (b"content-type", b"text/plain; charset=utf-8")
_BAD_CREDENTIAL: Final = error_body(
    "AuthenticationFailed",
    "The request needs a valid credential: 'Authorization: Bearer <endpoint key or token>'.",
)


class GatewayApp:
    """ASGI 3 app routing scoring requests by a :class:`RoutingTable`.

    ``token_verifier`` checks bearer tokens for ``aml_token`` endpoints whose entry has no
    verifier of its own (without any, such endpoints refuse every call). ``sink`` gets one
    :class:`RequestRecord` per request and per mirrored copy, within ``bookkeeping_s`` of its
    end (when the request is also counted in the metrics). ``random`` draws the traffic split.
    """

    def __init__(
        self,
        table: RoutingTable,
        *,
        token_verifier: TokenVerifier | None = None,
        sink: RequestSink | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        random_source: Callable[[], float] | None = None,
        share: tuple[int, int] = (0, 1),
        bookkeeping_s: float = BOOKKEEPING_INTERVAL_S,
    ) -> None:
        self.table = table
        #: Names the table's source as loaded (the cli sets the file's SHA-256).
        self.table_tag = ""
        self.metrics = GatewayMetrics()
        self.router = Router(table, self.metrics, token_verifier, share)
        self.sink = sink
        self.max_body_bytes = max_body_bytes
        self._random = random_source or random.random
        self._unknown = self.metrics.series("", "")
        self._mirrors: set[asyncio.Task[None]] = set()
        self._deadlines = Deadlines()
        self._finished: list[_Finished] = []  # not yet counted in the metrics nor recorded
        self._bookkeeping_s = bookkeeping_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/endpoints/"):
                await self._endpoint(scope, receive, send)
            elif path == "/metrics":
                self.note_finished()
                body = self.metrics.render(self.router.deployment_states())
                await send_reply(send, 200, [(b"content-type", CONTENT_TYPE)], body)
            elif path == "/health":
                # The tag of the loaded table lets a feeder wait until its change is live.
                await send_reply(
                    send, 200, [_TEXT, (b"x-basin-table", self.table_tag.encode())], b"Healthy"
                )
            else:
                await send_reply(send, 404, [JSON], error_body("ResourceNotFound", "Not found."))
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Stop mirrored copies still running and close the connections to replicas."""
        for task in list(self._mirrors):
            task.cancel()
        if self._mirrors:
            await asyncio.gather(*self._mirrors, return_exceptions=True)
        self.note_finished()
        self._deadlines.close()
        self.router.close()

    # -- /endpoints/{endpoint}/... -------------------------------------------------------------
    async def _endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        ex, name, target, authorization, wanted = self._read(scope)
        series, refusal, mirror = self._route(ex, name, authorization, wanted)
        await self._routed(
            _Routed(ex, name, target, started, series, refusal, mirror), receive, send
        )

    async def _routed(self, routed: _Routed, receive: Receive, send: Send) -> None:
        """The rest of a request once routed: wait for room, refuse, or forward."""
        ex, refusal, state = routed.ex, routed.refusal, routed.ex.deployment
        if refusal is None and state is not None:
            try:
                if not state.has_room() and not await state.wait_for_room():
                    refusal = _overloaded(state)
                elif not state.replicas:  # they went while this request waited for room
                    refusal = _no_replica(state)
            except asyncio.CancelledError:  # the client went away while it waited
                ex.status, ex.reason = 499, "client_disconnected"
                self._finish(ex, state.series, routed.name, routed.target, routed.started)
                raise
        if refusal is not None or state is None:
            await send_reply(send, *self._refusal(ex, refusal))
            self._finish(ex, routed.series, routed.name, routed.target, routed.started)
            return
        try:
            await forward(
                ex,
                state,
                receive,
                send,
                max_body=self.max_body_bytes,
                mirror=self._mirror if routed.mirror else None,
                avoid=routed.avoid,
            )
        finally:  # also when the answer broke off half-way (the connection is then dropped)
            if ex.status == 0:
                ex.status, ex.reason = 500, ex.reason or "internal_error"
            self._finish(ex, state.series, routed.name, routed.target, routed.started)

    def answer_now(self, scope: Scope, body: bytes, client: Responder) -> bool:
        """Answer a request whose body is all in ``body`` without a task where it can be: a
        refusal, or a forward on a kept-alive connection to a deployment with room and no
        mirror. Otherwise the request goes on in a task (a queue to wait in, a new connection,
        a mirrored copy) from the same routing decision, or, for paths other than an
        endpoint's, ``False`` is returned and the app is called as usual.
        """
        if not scope["path"].startswith("/endpoints/") or len(body) > self.max_body_bytes:
            return False
        started = time.perf_counter()
        ex, name, target, authorization, wanted = self._read(scope)
        series, refusal, mirror = self._route(ex, name, authorization, wanted)
        state = ex.deployment
        if refusal is not None or state is None:
            client.answer(*self._refusal(ex, refusal))
            self._finish(ex, series, name, target, started)
            return True

        def in_task(avoid: ReplicaState | None = None) -> None:
            routed = _Routed(ex, name, target, started, series, None, mirror, avoid)
            receive = _whole_body(body, client)
            client.continue_in_task(lambda send: self._routed(routed, receive, send))

        def finish() -> None:
            self._finish(ex, state.series, name, target, started)

        if (
            mirror
            or not state.has_room()
            or not forward_now(ex, state, body, client, self._deadlines, finish, retry=in_task)
        ):
            in_task()
        return True

    def _read(self, scope: Scope) -> tuple[Exchange, str, bytes, bytes | None, bytes | None]:
        """The exchange of a scoring request, with its endpoint's name, the target to forward
        (``/score?…``), its credential and the deployment it names, if any."""
        raw: bytes = scope.get("raw_path") or b""
        if not raw.startswith(_PREFIX):  # no raw path, or an escaped prefix
            raw = scope["path"].encode()
        rest = raw[len(_PREFIX) :]
        cut = rest.find(b"/")
        name_bytes, target = (rest, b"/") if cut < 0 else (rest[:cut], rest[cut:])
        query: bytes = scope.get("query_string", b"")
        if query:
            target += b"?" + query
        method_text: str = scope["method"]
        method = _METHODS.get(method_text) or method_text.encode()

        authorization = wanted = rid = legacy = client = length = None
        lines = [method, b" ", target, b" HTTP/1.1\r\n"]
        special = _SPECIAL.get
        for key, value in scope["headers"]:
            kind = special(key)
            if kind is None:
                lines += (key, b": ", value, b"\r\n")
            elif kind == _AUTHORIZATION:
                authorization = value  # never forwarded: the replica trusts the gateway
            elif kind == _DEPLOYMENT:
                wanted = value
                lines += (key, b": ", value, b"\r\n")
            elif kind == _RID:
                rid = value
            elif kind == _LEGACY_RID:
                legacy = value
            elif kind == _CLIENT_RID:
                client = value
            elif kind == _LENGTH:
                length = value
        request_id, id_headers = request_id_headers(rid, legacy, client)
        for id_header in id_headers:
            # x-ms-request-id goes to the replica only if the client sent it: the inference
            # server takes it as the deprecated input and logs a warning for every request.
            if id_header[0] != b"x-ms-request-id" or legacy:
                lines += (id_header[0], b": ", id_header[1], b"\r\n")
        ex = Exchange(method, b"".join(lines), request_id, id_headers, client or legacy)
        if length is not None and length.isdigit():
            ex.declared_length = int(length)
        return ex, name_bytes.decode("latin-1"), target, authorization, wanted

    def _route(
        self, ex: Exchange, name: str, authorization: bytes | None, wanted: bytes | None
    ) -> tuple[Series, _Refusal | None, bool]:
        """Azure's checks up to the choice of a deployment (set in ``ex.deployment``), in
        Azure's order; returns the series to count the request in, a refusal if one is due,
        and whether to mirror a copy."""
        plan = self.router.plan(name)
        if plan is None:
            return self._unknown, _refused(404, "ResourceNotFound", _no_endpoint(name)), False
        if not self._authorized(plan, authorization):
            return plan.series, _UNAUTHORIZED, False
        if ex.declared_length is not None and ex.declared_length > self.max_body_bytes:
            message = f"The request body is larger than {self.max_body_bytes} bytes."
            return plan.series, _refused(413, "PayloadTooLarge", message), False
        mirror = False
        if wanted is not None:
            state = plan.by_header.get(wanted)
            if state is None:
                message = f"Endpoint {name!r} has no deployment named {wanted.decode('latin-1')!r}."
                return (
                    plan.series,
                    _refused(404, "ResourceNotFound", message, "no_deployment"),
                    False,
                )
        else:
            state = plan.choose(self._random())
            if state is None:
                message = (
                    f"Endpoint {name!r} has no deployment with traffic > 0: set its traffic, or "
                    "name a deployment in the 'azureml-model-deployment' header."
                )
                return plan.series, _refused(404, "ResourceNotFound", message, "no_traffic"), False
            # Azure mirrors only requests that the traffic split routed (no deployment header).
            mirror = plan.mirror is not None and self._random() * 100 < plan.mirror[1]
        ex.deployment = state
        if not state.replicas:
            return state.series, _no_replica(state), False
        return state.series, None, mirror

    def _authorized(self, plan: EndpointPlan, authorization: bytes | None) -> bool:
        if authorization is None or authorization[:7].lower() != b"bearer ":
            return False
        credential = authorization[7:].strip()
        if not credential:
            return False
        keys = plan.keys
        if keys is not None:
            # Compare with every key digest, always, in constant time: timing tells nothing.
            digest = _sha256(credential).digest()
            matched = False
            for key in keys:
                matched |= hmac.compare_digest(digest, key)
            return matched
        if plan.verifier is None:
            return False
        try:
            plan.verifier(credential.decode("latin-1"))
        except Exception:
            return False
        return True

    @staticmethod
    def _refusal(ex: Exchange, refusal: _Refusal | None) -> tuple[int, list[Header], bytes]:
        """The answer for a refusal; notes its status and reason in the exchange."""
        assert refusal is not None
        ex.status, ex.reason = refusal.status, refusal.reason
        headers = [JSON, *ex.id_headers]
        if ex.deployment is not None:
            headers.append(ex.deployment.header)
        if refusal.status == 429:
            headers.append(OVERLOADED_REASON)
        return refusal.status, headers, refusal.body

    # -- mirror --------------------------------------------------------------------------------
    def _mirror(self, ex: Exchange) -> None:
        state = ex.deployment
        assert state is not None and ex.body is not None
        plan = self.router.plans.get(state.endpoint)
        if plan is None or plan.mirror is None:
            return
        task = asyncio.get_running_loop().create_task(self._send_mirror(plan, ex, ex.body))
        self._mirrors.add(task)
        task.add_done_callback(self._mirrors.discard)

    async def _send_mirror(self, plan: EndpointPlan, ex: Exchange, body: bytes) -> None:
        assert plan.mirror is not None
        target = plan.mirror[0]
        started = time.perf_counter()
        status = await send_copy(target, ex.method, ex.head, body)
        elapsed = time.perf_counter() - started
        target.series.observe_mirror(status)
        if self.sink is not None:
            copy = Exchange(ex.method, ex.head, ex.request_id, ex.id_headers, ex.client_request_id)
            copy.deployment, copy.status, copy.model_status = target, status, status
            copy.request_bytes, copy.upstream_s = len(body), elapsed
            arrived = time.time() - elapsed
            self._record(copy, target.endpoint, _path_of(ex.head), arrived, elapsed, mirror=True)

    # -- bookkeeping ---------------------------------------------------------------------------
    def _finish(
        self, ex: Exchange, series: Series, endpoint: str, target: bytes, started: float
    ) -> None:
        """The request is over: it is counted and recorded with the others that end within
        ``bookkeeping_s``, outside any request. Done as each request ended, the same work
        costs more: at low load a request finds the code and data it needs cold (A/B at
        concurrency 1 with the request log, 20 rounds each way: 2-7 µs less gateway CPU per
        request, 1-6% more requests/s)."""
        finished = self._finished
        finished.append((ex, series, endpoint, target, started, time.perf_counter()))
        if len(finished) == 1:  # the first of a batch: note it, and those after it, soon
            try:
                asyncio.get_running_loop().call_later(self._bookkeeping_s, self.note_finished)
            except RuntimeError:  # not on an event loop: count it at once
                self.note_finished()

    def note_finished(self) -> None:
        """Count the requests that ended since the last call in the metrics and give their
        records to the sink (also called before the metrics are read, and at the end)."""
        finished, self._finished = self._finished, []
        if not finished:
            return
        # Wall-clock arrival from the monotonic clock: arrived = now - (perf now - started).
        wall, now = time.time(), time.perf_counter()
        sink = self.sink
        for ex, series, endpoint, target, started, ended in finished:
            elapsed = ended - started
            series.observe(ex.status, elapsed, ex.upstream_s)
            if sink is not None:
                self._record(ex, endpoint, target, wall - (now - started), elapsed, mirror=False)

    def _record(
        self,
        ex: Exchange,
        endpoint: str,
        target: bytes,
        arrived: float,
        elapsed: float,
        *,
        mirror: bool,
    ) -> None:
        assert self.sink is not None
        cut = target.find(b"?")
        path = (target if cut < 0 else target[:cut]).decode("latin-1")
        upstream_s = ex.upstream_s
        client_id = ex.client_request_id
        record = RequestRecord(  # positional: one per request, in the fields' order
            arrived,
            endpoint,
            ex.deployment.name if ex.deployment is not None else None,
            ex.method.decode("latin-1"),
            path,
            ex.status,
            ex.model_status,
            round(elapsed * 1000, 3),
            round(upstream_s * 1000, 3) if upstream_s is not None else None,
            ex.request_id.decode("latin-1"),
            client_id.decode("latin-1") if client_id else None,
            ex.request_bytes,
            ex.response_bytes,
            ex.reason,
            mirror,
        )
        try:
            self.sink(record)
        except Exception:  # the sink must never fail a request
            logger.exception("the request log sink failed")


# A finished request: its exchange, series, endpoint, target, and when it began and ended
# (time.perf_counter()).
_Finished = tuple[Exchange, Series, str, bytes, float, float]


class _Routed(NamedTuple):
    """A request routed to a deployment (or refused), for the rest of its way."""

    ex: Exchange
    name: str
    target: bytes
    started: float
    series: Series
    refusal: _Refusal | None
    mirror: bool
    avoid: ReplicaState | None = None  # a replica that dropped it once (forward's ``avoid``)


class _Refusal(NamedTuple):
    """An answer the gateway gives by itself, and the reason recorded for it."""

    status: int
    body: bytes
    reason: str


_REASONS: Final = {404: "no_endpoint", 413: "payload_too_large", 429: "too_many_requests"}
_UNAUTHORIZED: Final = _Refusal(401, _BAD_CREDENTIAL, "unauthorized")


def _refused(status: int, code: str, message: str, reason: str | None = None) -> _Refusal:
    return _Refusal(status, error_body(code, message), reason or _REASONS[status])


def _no_endpoint(name: str) -> str:
    return f"No online endpoint named {name!r}."


def _no_replica(state: DeploymentState) -> _Refusal:
    message = f"Deployment {state.name!r} of endpoint {state.endpoint!r} has no ready replica."
    return _refused(503, "ServiceUnavailable", message, "no_replica")


def _overloaded(state: DeploymentState) -> _Refusal:
    message = (
        f"Deployment {state.name!r} already has {state.in_flight} requests in flight, "
        "the most it takes (2 x max_concurrent_requests_per_instance x ready instances), "
        f"and no room came within its max_queue_wait_ms ({round(state.queue_wait_s * 1000)}"
        " ms)."
    )
    return _refused(429, "TooManyRequests", message)


def _whole_body(body: bytes, client: Responder) -> Receive:
    """ASGI's receive for a body already held whole: a disconnect instead if the client went
    away meanwhile (while the request waited for room, it is not sent to a replica then)."""
    messages: list[MutableMapping[str, Any]] = [
        {"type": "http.request", "body": body, "more_body": False}
    ]

    async def receive() -> MutableMapping[str, Any]:
        if client.disconnected:
            return {"type": "http.disconnect"}
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # after the body, a receive waits (for a disconnect)
        return {"type": "http.disconnect"}

    return receive


def _path_of(head: bytes) -> bytes:
    """The target of a request line (``POST /score?x HTTP/1.1`` -> ``/score?x``)."""
    line = head[: head.find(b"\r\n")]
    return line[line.find(b" ") + 1 : line.rfind(b" ")]
