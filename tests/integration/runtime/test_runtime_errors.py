"""Failures: run() raising, init() raising, bad bodies, oversized bodies, unknown routes, timeouts."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.runtime.conftest import base_env, run_to_exit, write_script

SCRIPT = """
    import json

    def init():
        pass

    def run(data):
        if data == "raise":
            raise ValueError("secret detail from run")
        if data == "bytes":
            return b"not json serialisable"
        if data == "spin":
            while True:
                pass
        return {"got": data}
"""


def test_run_raising_gives_500_and_the_replica_keeps_serving(serve) -> None:
    runtime = serve(SCRIPT)
    response = runtime.client.post("/score", content="raise")
    assert response.status_code == 500
    assert response.json() == {
        "message": "An unexpected error occurred in scoring script. Check the logs for more info."
    }
    assert response.headers["x-ms-run-function-failed"] == "True"
    assert "x-ms-run-fn-exec-ms" not in response.headers
    assert "secret detail" not in response.text

    assert runtime.client.post("/score", content="fine").json() == {"got": "fine"}
    output = runtime.output(containing="POST /score 500 ")
    assert "ValueError: secret detail from run" in output  # the traceback is logged
    assert "POST /score 500 " in output


def test_unserialisable_result_is_an_internal_error(serve) -> None:
    runtime = serve(SCRIPT)
    response = runtime.client.post("/score", content="bytes")
    assert response.status_code == 500
    assert response.json()["message"].startswith("An unexpected internal error occurred.")
    assert response.headers["x-ms-run-function-failed"] == "False"


def test_bodies_that_are_not_json_reach_an_undecorated_run_as_text(serve) -> None:
    runtime = serve(SCRIPT)
    response = runtime.client.post("/score", content="a,b,c", headers={"content-type": "text/csv"})
    assert response.json() == {"got": "a,b,c"}
    bad = runtime.client.post("/score", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("Input cannot be decoded as UTF-8:")


def test_body_over_the_limit_gets_413(serve) -> None:
    runtime = serve(SCRIPT, "--max-body-bytes", "1000")
    assert runtime.client.post("/score", content="x" * 1000).status_code == 200

    response = runtime.client.post("/score", content="x" * 5000)
    assert response.status_code == 413
    assert response.json() == {"message": "Request body is larger than the limit of 1000 bytes."}

    def chunks():  # no content-length: the limit applies while reading
        for _ in range(10):
            yield b"y" * 500

    streamed = httpx.post(f"{runtime.url}/score", content=chunks())
    assert streamed.status_code == 413
    assert runtime.client.get("/").status_code == 200


def test_default_body_limit_is_100_mib_and_env_sets_it(serve) -> None:
    runtime = serve(SCRIPT, env=base_env(BASIN_RUNTIME_MAX_BODY_BYTES="10"))
    assert runtime.client.post("/score", content="x" * 11).status_code == 413
    assert "Max Request Body (bytes): 10" in runtime.output()


def test_unknown_routes_and_methods(serve) -> None:
    runtime = serve(SCRIPT)
    missing = runtime.client.get("/nope")
    assert missing.status_code == 404
    assert missing.json()["message"].startswith("The requested URL was not found on the server.")
    assert "x-request-id" not in missing.headers

    for method, path in [("PUT", "/score"), ("DELETE", "/swagger.json"), ("POST", "/")]:
        response = runtime.client.request(method, path)
        assert response.status_code == 405
        assert response.json() == {"message": "The method is not allowed for the requested URL."}

    head = runtime.client.head("/score")
    assert head.status_code == 405  # azmlinfsrv: HEAD reaches the parser, which refuses it
    options = runtime.client.options("/score")
    assert options.status_code == 200
    assert options.content == b""


def test_scoring_timeout(serve) -> None:
    runtime = serve(SCRIPT, "--threads", "1", env=base_env(SCORING_TIMEOUT_MS="500"))
    response = runtime.client.post("/score", content="spin")
    assert response.status_code == 500
    assert response.json() == {"message": "Scoring timeout after 500 ms"}
    assert response.headers["x-ms-run-function-failed"] == "True"
    # The only worker thread was interrupted, so the next request is served.
    assert runtime.client.post("/score", content="ok").json() == {"got": "ok"}


def test_scoring_timeout_inline(serve) -> None:
    runtime = serve(SCRIPT, env=base_env(SCORING_TIMEOUT_MS="500", BASIN_RUNTIME_THREADS="0"))
    response = runtime.client.post("/score", content="spin")
    assert response.json() == {"message": "Scoring timeout after 500 ms"}
    assert runtime.client.post("/score", content="ok").json() == {"got": "ok"}
    assert "run() executes inline on the event loop" in runtime.output()


def test_init_raising_exits_3_with_the_traceback(tmp_path: Path) -> None:
    models = tmp_path / "models" / "model"
    models.mkdir(parents=True)
    (models / "weights.bin").write_bytes(b"0")
    script = write_script(
        tmp_path / "app",
        """
        def init():
            raise RuntimeError("cannot load the model")

        def run(data):
            return data
        """,
    )
    code, output = run_to_exit(script, "--model_dir", str(tmp_path / "models"))
    assert code == 3
    assert "User's init function failed" in output
    assert "Traceback (most recent call last)" in output
    assert "RuntimeError: cannot load the model" in output
    assert "weights.bin" in output  # the model folder is listed


def test_import_error_and_missing_run_exit_3(tmp_path: Path) -> None:
    broken = write_script(tmp_path / "a", "import not_a_module_anywhere\n")
    code, output = run_to_exit(broken)
    assert code == 3
    assert "ModuleNotFoundError" in output

    no_run = write_script(tmp_path / "b", "def init():\n    pass\n")
    code, output = run_to_exit(no_run)
    assert code == 3
    assert "does not have a run() function defined" in output


def test_missing_script_and_bad_settings(tmp_path: Path) -> None:
    code, output = run_to_exit(tmp_path / "absent.py")
    assert code == 3
    assert "Scoring script not found" in output

    script = write_script(tmp_path / "c", SCRIPT)
    code, output = run_to_exit(script, env=base_env(SCORING_TIMEOUT_MS="soon"))
    assert code == 3
    assert "SCORING_TIMEOUT_MS" in output
