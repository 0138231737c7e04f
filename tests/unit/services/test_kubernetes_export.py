"""Kubernetes manifests of a deployment, checked against the official client's models."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes.client import ApiClient

from basin.compute import InstanceTypes
from basin.entities import CodeConfiguration, ManagedOnlineDeployment, ProbeSettings
from basin.services.kubernetes import kubernetes_manifests

MODELS = {
    "Deployment": "V1Deployment",
    "Service": "V1Service",
    "HorizontalPodAutoscaler": "V2HorizontalPodAutoscaler",
}


def validated(document: dict[str, Any]) -> Any:
    """The client's model of ``document``; fails on a missing required field or a bad value,
    and on any field the model does not know (it would be dropped on the way back)."""
    client = ApiClient()
    model = client._ApiClient__deserialize(document, MODELS[document["kind"]])  # type: ignore[attr-defined]
    assert client.sanitize_for_serialization(model) == document
    return model


def _deployment(**extra: Any) -> ManagedOnlineDeployment:
    return ManagedOnlineDeployment(
        name="Blue",
        endpoint_name="my-endpoint",
        model="azureml:sklearn-regression:3",
        environment="azureml:sklearn-env:1",
        code_configuration=CodeConfiguration(code="azureml:code", scoring_script="score.py"),
        environment_variables={"WORKER_COUNT": "2"},
        liveness_probe=ProbeSettings(initial_delay=5, period=7, failure_threshold=4),
        **extra,
    )


def test_a_gpu_deployment_becomes_valid_manifests() -> None:
    gpu = InstanceTypes().resources("Standard_NC6s_v3")
    docs = kubernetes_manifests(_deployment(instance_count=3), "my-endpoint", gpu, "team/img:1")
    assert [d["kind"] for d in docs] == ["Deployment", "Service", "HorizontalPodAutoscaler"]
    deployment, service, hpa = (validated(d) for d in docs)
    assert deployment.metadata.name == "my-endpoint-blue"  # a DNS label
    assert deployment.spec.replicas == 3
    (container,) = deployment.spec.template.spec.containers
    assert container.image == "team/img:1"
    assert container.resources.requests == {"cpu": "6", "memory": "114688Mi", "nvidia.com/gpu": "1"}
    assert container.resources.limits["nvidia.com/gpu"] == "1"
    env = {e.name: e.value for e in container.env}
    assert env["AZUREML_MODEL_DIR"] == "/var/azureml-app/azureml-models/sklearn-regression/3"
    assert env["WORKER_COUNT"] == "2" and env["AZUREML_ENTRY_SCRIPT"] == "score.py"
    assert container.command[:3] == ["python", "-m", "basin.runtime"]
    assert container.liveness_probe.period_seconds == 7
    assert container.liveness_probe.failure_threshold == 4
    assert service.spec.selector == deployment.spec.selector.match_labels
    assert service.spec.ports[0].target_port == container.ports[0].container_port
    assert hpa.spec.scale_target_ref.name == deployment.metadata.name
    assert hpa.spec.min_replicas == 3 and hpa.spec.max_replicas == 6


def test_without_an_instance_type_there_are_no_resource_requests() -> None:
    docs = kubernetes_manifests(_deployment(), "ep", None)
    deployment = validated(docs[0])
    (container,) = deployment.spec.template.spec.containers
    assert container.resources is None
    assert container.image == "basin-runtime:sklearn-env-1"


def test_the_check_catches_a_broken_manifest() -> None:
    """The validation used above fails on what Kubernetes would refuse (no test that cannot fail)."""
    broken = kubernetes_manifests(_deployment(), "ep", None)[0]
    del broken["spec"]["selector"]
    with pytest.raises(ValueError, match="selector"):
        validated(broken)
    unknown = kubernetes_manifests(_deployment(), "ep", None)[1]
    unknown["spec"]["portz"] = []
    with pytest.raises(AssertionError):
        validated(unknown)
