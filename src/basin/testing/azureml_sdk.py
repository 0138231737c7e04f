"""The real Azure ML SDK v2 (``azure-ai-ml``) in a venv of its own, for YAML parity tests and
(with Azure's management SDKs, ``ensure_azure_sdks``) the SDK journey.

``ensure_azure_ai_ml(venv)`` builds the venv once (uv, pinned; see ``basin.testing.venvs``) and
returns its python. azure-ai-ml is heavy and never enters basin's own venv: it runs only as a
subprocess. ``load_with_azure_ai_ml(python, items)`` loads many YAML files in one such process
(its import costs seconds, paid once) and returns, per file, the entity's ``_to_dict()`` (the
YAML-shaped dict azure-ai-ml dumps) or the error it raised.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from basin.testing.venvs import ensure_venv

__all__ = [
    "AZURE_AI_ML_VERSION",
    "AZURE_SDK_PINS",
    "KINDS",
    "SdkResult",
    "ensure_azure_ai_ml",
    "ensure_azure_sdks",
    "load_with_azure_ai_ml",
]

#: The newest azure-ai-ml on PyPI that installs on Python 3.11 when this was written.
AZURE_AI_ML_VERSION = "1.35.2"

#: The real SDKs of the SDK journey (examples/managed-identity/sdk_journey.py), pinned: azure-ai-ml
#: and Azure's management SDKs at the versions the ARM adapter was traced against.
AZURE_SDK_PINS = (
    f"azure-ai-ml=={AZURE_AI_ML_VERSION}",
    "azure-identity==1.27.0",
    "azure-mgmt-storage==25.3.0",
    "azure-mgmt-msi==7.1.0",
    "azure-mgmt-authorization==4.0.0",
    "azure-mgmt-keyvault==14.1.0",
    "azure-keyvault-secrets==4.12.0",
    "azure-storage-blob==12.31.1",
)

#: kind -> azure-ai-ml loader function.
KINDS = {
    "workspace": "load_workspace",
    "online_endpoint": "load_online_endpoint",
    "online_deployment": "load_online_deployment",
    "model": "load_model",
    "environment": "load_environment",
    "connection": "load_workspace_connection",
}

# Run with the azure-ai-ml venv's python: reads [{"kind", "path"}, ...] as JSON on stdin, writes
# [{"ok": true, "dict": ...} | {"ok": false, "error_type": ..., "error": ...}, ...] on stdout.
_SCRIPT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
import azure.ai.ml as ml

KINDS = json.loads(sys.argv[1])
items = json.load(sys.stdin)
out = []
for item in items:
    loader = getattr(ml, KINDS[item["kind"]])
    try:
        entity = loader(item["path"])
        data = entity._to_dict()
        out.append({"ok": True, "type": type(entity).__name__,
                    "dict": json.loads(json.dumps(data, default=str))})
    except Exception as exc:
        out.append({"ok": False, "error_type": type(exc).__name__, "error": str(exc)})
json.dump(out, sys.stdout)
"""


@dataclass(frozen=True)
class SdkResult:
    """What azure-ai-ml made of one file: ``data`` (its ``_to_dict()``) or the error."""

    ok: bool
    entity_type: str | None = None
    data: dict[str, Any] | None = None
    error_type: str | None = None
    error: str | None = None


def ensure_azure_ai_ml(venv: Path) -> Path:
    """A venv at ``venv`` with ``azure-ai-ml`` pinned; returns its python. Built on the first
    call (PyPI), reused after."""
    return ensure_venv(venv, [f"azure-ai-ml=={AZURE_AI_ML_VERSION}"])


def ensure_azure_sdks(venv: Path) -> Path:
    """A venv at ``venv`` with ``AZURE_SDK_PINS``; returns its python (built once, from PyPI)."""
    return ensure_venv(venv, list(AZURE_SDK_PINS))


def load_with_azure_ai_ml(
    python: Path, items: Sequence[tuple[str, Path]], *, timeout: float = 300
) -> list[SdkResult]:
    """Load each ``(kind, path)`` with azure-ai-ml's ``load_<kind>`` in one process."""
    unknown = sorted({kind for kind, _ in items} - KINDS.keys())
    if unknown:
        raise ValueError(f"unknown kinds {unknown}; known: {sorted(KINDS)}")
    payload = json.dumps([{"kind": kind, "path": str(path)} for kind, path in items])
    done = subprocess.run(
        [str(python), "-c", _SCRIPT, json.dumps(KINDS)],
        input=payload,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"azure-ai-ml loader failed ({done.returncode}):\n{done.stderr}")
    results: list[SdkResult] = []
    for row in json.loads(done.stdout):
        if row["ok"]:
            results.append(SdkResult(ok=True, entity_type=row["type"], data=row["dict"]))
        else:
            results.append(SdkResult(ok=False, error_type=row["error_type"], error=row["error"]))
    return results
