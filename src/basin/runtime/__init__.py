"""basin's scoring runtime: serves an Azure ML scoring script (``init()``/``run()``) over HTTP.

It speaks the contract of the Azure ML inference server (``azmlinfsrv``) on uvicorn and is
installed into *user* environments, so it imports nothing of basin outside this package and needs
only the standard library and uvicorn (numpy, pandas and inference-schema are used when present).

    python -m basin.runtime --entry_script score.py --model_dir ./model --port 5001

``main(argv)`` is the entry point other code (``basin serve``) calls; ``build_app(config)`` gives the
ASGI app for a loaded script.
"""

from __future__ import annotations

from basin.runtime.amlrequest import AMLRequest, rawhttp
from basin.runtime.amlresponse import AMLResponse
from basin.runtime.app import ScoringApp
from basin.runtime.cli import build_app, main
from basin.runtime.config import VERSION, RuntimeConfig, load_config

__all__ = [
    "VERSION",
    "AMLRequest",
    "AMLResponse",
    "RuntimeConfig",
    "ScoringApp",
    "build_app",
    "load_config",
    "main",
    "rawhttp",
]
