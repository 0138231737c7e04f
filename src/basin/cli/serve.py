"""``basin serve``: run a scoring script locally, as ``azmlinfsrv`` does (the local dev loop)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    entry_script: Annotated[
        Path, typer.Option("--entry-script", "--entry_script", help="score.py")
    ],
    model_dir: Annotated[
        Path | None, typer.Option("--model-dir", "--model_dir", help="Sets AZUREML_MODEL_DIR.")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port (5001 like azmlinfsrv).")] = 5001,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    reload: Annotated[bool, typer.Option("--reload", help="Restart when files change.")] = False,
) -> None:
    """Serve a scoring script (init()/run()) with the Azure ML inference-server contract."""
    from basin.runtime import main as runtime_main

    argv = ["--entry_script", str(entry_script), "--port", str(port), "--host", host]
    if model_dir is not None:
        argv += ["--model_dir", str(model_dir)]
    if reload:
        argv.append("--reload")
    code = runtime_main(argv)
    if code:
        raise typer.Exit(code)
