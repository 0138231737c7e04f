"""The ceiling: a bare ASGI app on uvicorn + httptools doing the same work as the scoring runtime.

It imports the scoring script, calls init(), and answers POST /score with
json.dumps(run(body)) inline on the event loop. With ``--contract-headers`` the response carries
the same headers as the Azure contract (a fresh uuid4 request id, x-ms-request-id,
x-ms-run-function-failed, x-ms-run-fn-exec-ms, x-ms-server-version), so the response bytes match
the runtime's; without it only content-type and content-length. Never: argument parsing rules,
error handling, timeouts, a thread hop or a log line.
Run: python bare_app.py SCRIPT PORT [--contract-headers] (AZUREML_MODEL_DIR set by the caller).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import uuid

import uvicorn


def load(path: str):
    spec = importlib.util.spec_from_file_location("entry_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.init()
    return module.run


def make_app(run, contract_headers: bool = False):
    json_headers = [(b"content-type", b"application/json")]
    if contract_headers:
        json_headers.append((b"x-ms-run-function-failed", b"False"))

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/":
            body = b"Healthy"
            headers = [(b"content-type", b"text/html; charset=utf-8")]
        else:
            message = await receive()
            chunks = [message.get("body", b"")]
            while message.get("more_body", False):
                message = await receive()
                chunks.append(message.get("body", b""))
            start = time.perf_counter()
            body = json.dumps(run(b"".join(chunks).decode("utf-8"))).encode()
            headers = json_headers
            if contract_headers:
                request_id = str(uuid.uuid4()).encode()
                elapsed = f"{(time.perf_counter() - start) * 1000:.3f}".encode()
                headers = [
                    *headers,
                    (b"x-ms-run-fn-exec-ms", elapsed),
                    (b"x-ms-server-version", b"bare/0"),
                    (b"x-request-id", request_id),
                    (b"x-ms-request-id", request_id),
                ]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    app = make_app(load(sys.argv[1]), contract_headers="--contract-headers" in sys.argv[3:])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[2]),
        http="httptools",
        loop="uvloop",
        lifespan="off",
        access_log=False,
        log_level="warning",
        ws="none",
    )
