"""Kubernetes manifests for a deployment: a Deployment, a Service and a HorizontalPodAutoscaler.

For teams that run their own cluster. basin does not run Kubernetes (no API server installs
here), so these manifests are checked against the official ``kubernetes`` client's models in
the tests, never applied to a live cluster. They hold no secret: endpoint keys, tokens and the
managed identity stay with basin (put the replicas behind basin's gateway, or your own).

The container runs basin's scoring runtime the way a replica does (``python -m basin.runtime``)
in an image the team builds from the deployment's environment with the code and model in it,
laid out as Azure ML lays them out in its inference images: the code under
``/var/azureml-app/<code folder>``, the model under
``/var/azureml-app/azureml-models/<name>/<version>``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from basin.compute import Resources
from basin.entities import ManagedOnlineDeployment, ProbeSettings

__all__ = ["FORMATS", "kubernetes_manifests"]

FORMATS = ("kubernetes",)
PORT = 5001  # azmlinfsrv's port
APP_ROOT = "/var/azureml-app"
_DNS = re.compile(r"[^a-z0-9-]+")


def _dns_name(*parts: str) -> str:
    """A DNS-1123 label (what Kubernetes names must be): lower case, ``-``, 63 characters."""
    name = _DNS.sub("-", "-".join(parts).lower()).strip("-")
    return name[:63].rstrip("-") or "basin"


def _quantity_memory(memory_bytes: int) -> str:
    return f"{math.ceil(memory_bytes / 2**20)}Mi"


def _probe(settings: ProbeSettings) -> dict[str, Any]:
    return {
        "httpGet": {"path": "/", "port": PORT},
        "initialDelaySeconds": settings.initial_delay,
        "periodSeconds": settings.period,
        "timeoutSeconds": settings.timeout,
        "successThreshold": settings.success_threshold,
        "failureThreshold": settings.failure_threshold,
    }


def _model_dir(reference: str | None) -> str | None:
    """``azureml:name:version`` -> where Azure ML's images put that model."""
    if not reference or not reference.startswith("azureml:"):
        return None
    _, name, version = [*reference.split(":"), "", ""][:3]
    return f"{APP_ROOT}/azureml-models/{name}/{version}" if name and version else None


def _resources(resources: Resources | None) -> dict[str, Any]:
    if resources is None:
        return {}
    amounts: dict[str, str] = {"cpu": f"{resources.cpus:g}"}
    if resources.memory_bytes:
        amounts["memory"] = _quantity_memory(resources.memory_bytes)
    limits = dict(amounts)
    if resources.gpus:
        # Extended resources are whole and must be equal in requests and limits.
        amounts["nvidia.com/gpu"] = limits["nvidia.com/gpu"] = str(resources.gpus)
    return {"requests": amounts, "limits": limits}


def kubernetes_manifests(
    deployment: ManagedOnlineDeployment,
    endpoint_name: str,
    resources: Resources | None,
    image: str | None = None,
) -> list[dict[str, Any]]:
    """The three manifests, as plain dicts in Kubernetes' own field names."""
    name = _dns_name(endpoint_name, deployment.name)
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": _dns_name(endpoint_name),
        "app.kubernetes.io/managed-by": "basin",
        "azureml.k8s.io/endpoint": endpoint_name,
        "azureml.k8s.io/deployment": deployment.name,
    }
    code = deployment.code_configuration
    code_dir = f"{APP_ROOT}/code"
    env = [{"name": k, "value": v} for k, v in sorted(deployment.environment_variables.items())]
    env.append({"name": "AML_APP_ROOT", "value": code_dir})
    if code is not None:
        env.append({"name": "AZUREML_ENTRY_SCRIPT", "value": code.scoring_script})
    model_dir = _model_dir(deployment.model if isinstance(deployment.model, str) else None)
    if model_dir:
        env.append({"name": "AZUREML_MODEL_DIR", "value": model_dir})
    command = ["python", "-m", "basin.runtime", "--host", "0.0.0.0", "--port", str(PORT)]
    if code is not None:
        command[3:3] = ["--entry_script", code.scoring_script]
    environment = deployment.environment if isinstance(deployment.environment, str) else None
    image = image or "basin-runtime:" + _dns_name(
        (environment or "environment").replace("azureml:", "")
    )
    container: dict[str, Any] = {
        "name": "inference-server",
        "image": image,
        "command": command,
        "workingDir": code_dir,
        "env": env,
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "livenessProbe": _probe(deployment.liveness_probe),
        "readinessProbe": _probe(deployment.readiness_probe),
    }
    container_resources = _resources(resources)
    if container_resources:
        container["resources"] = container_resources
    replicas = deployment.instance_count
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                # Capacity never drops during an update, as on basin's own back ends.
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                },
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [container]},
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "type": "ClusterIP",
                "selector": {"app.kubernetes.io/name": name},
                "ports": [{"name": "http", "port": 80, "targetPort": PORT, "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                # A managed deployment's instance_count is fixed: the autoscaler may add up to
                # as many again under load (Azure's target_utilization default is 70%).
                "minReplicas": max(1, replicas),
                "maxReplicas": max(1, replicas) * 2,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        },
    ]
