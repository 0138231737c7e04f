"""The ``azureml`` registry: basin-curated, pinned definitions of Azure ML's curated environments.

Azure ML resolves ``azureml://registries/azureml/environments/<name>/versions/<n>`` (or
``/labels/latest``) and the older ``azureml:AzureML-<name>@latest`` / ``:<version>`` to Docker
images it maintains. basin has no images: each name here is a conda specification with every
package pinned, chosen to install from PyPI on a CPU machine, and built like any other
environment (in the workspace, as ``AzureML-<name>``, on first use). basin keeps one definition
per name (version 1); a reference to any version number of a known name resolves to it, since
Azure's version numbers only count image rebuilds.

CPU choices: ``xgboost-cpu`` (PyPI's xgboost pulls NVIDIA's NCCL, ~200 MB), ``tensorflow-cpu``,
and torch's CPU build from PyTorch's own CPU index (every torch wheel on PyPI for Linux x86-64
pulls CUDA libraries, several GB); an air-gapped site mirrors that index like any feed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from basin.entities import Environment
from basin.errors import NotFoundError, ValidationError

__all__ = [
    "CURATED",
    "REGISTRY",
    "CuratedEnvironment",
    "CuratedReference",
    "find",
    "parse_reference",
    "workspace_name",
]

REGISTRY = "azureml"
#: Names Azure ML reserves for its curated environments (refused for the user's own).
RESERVED_PREFIXES = ("azureml", "microsoft")
_PREFIX = "AzureML-"
_TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


@dataclass(frozen=True)
class CuratedEnvironment:
    name: str
    python: str
    packages: tuple[str, ...]
    description: str
    version: str = "1"
    aliases: tuple[str, ...] = ()
    pip_options: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def registry_id(self) -> str:
        return f"azureml://registries/{REGISTRY}/environments/{self.name}/versions/{self.version}"

    def conda_file(self) -> dict[str, object]:
        pip = [*self.pip_options, *self.packages]
        return {
            "name": self.name,
            "channels": ["conda-forge"],
            "dependencies": [f"python={self.python}", "pip", {"pip": pip}],
        }

    def environment(self) -> Environment:
        """As the registry shows it (``name`` is the registry's name)."""
        return Environment(
            name=self.name,
            version=self.version,
            description=self.description,
            tags={**self.tags, "Python": self.python, "basin": "curated"},
            image="basin:minimal",
            conda_file=self.conda_file(),
            id=self.registry_id,
        )


def _pins(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_MINIMAL = "numpy=={numpy} joblib=={joblib} azure-identity=={identity} azure-storage-blob=={blob}"

CURATED: tuple[CuratedEnvironment, ...] = (
    CuratedEnvironment(
        "minimal-py312-inference",
        "3.12",
        _pins(_MINIMAL.format(numpy="2.2.6", joblib="1.5.1", identity="1.23.0", blob="12.25.1")),
        "Minimal inference environment, Python 3.12.",
        tags={"Inferencing": ""},
    ),
    CuratedEnvironment(
        "minimal-py311-inference",
        "3.11",
        _pins(_MINIMAL.format(numpy="2.2.6", joblib="1.5.1", identity="1.23.0", blob="12.25.1")),
        "Minimal inference environment, Python 3.11.",
        aliases=(
            "minimal-ubuntu22.04-py311-cpu-inference",
            "minimal-ubuntu20.04-py311-cpu-inference",
        ),
        tags={"Inferencing": ""},
    ),
    CuratedEnvironment(
        "minimal-ubuntu22.04-py39-cpu-inference",
        "3.9",
        _pins(_MINIMAL.format(numpy="2.0.2", joblib="1.5.1", identity="1.23.0", blob="12.25.1")),
        "Minimal inference environment, Python 3.9.",
        aliases=("minimal-ubuntu20.04-py39-cpu-inference",),
        tags={"Inferencing": ""},
    ),
    CuratedEnvironment(
        "minimal-ubuntu20.04-py38-cpu-inference",
        "3.8",
        _pins(_MINIMAL.format(numpy="1.24.4", joblib="1.4.2", identity="1.19.0", blob="12.24.0")),
        "Minimal inference environment, Python 3.8.",
        tags={"Inferencing": ""},
    ),
    CuratedEnvironment(
        "sklearn-1.5",
        "3.10",
        _pins("scikit-learn==1.5.2 numpy==1.26.4 scipy==1.14.1 pandas==2.2.3 joblib==1.4.2"),
        "scikit-learn 1.5 with numpy, scipy, pandas and joblib, Python 3.10.",
        tags={"Scikit-learn": "1.5"},
    ),
    CuratedEnvironment(
        "sklearn-1.1",
        "3.9",
        _pins("scikit-learn==1.1.3 numpy==1.22.4 scipy==1.10.1 pandas==1.3.5 joblib==1.2.0"),
        "scikit-learn 1.1 with numpy, scipy, pandas and joblib, Python 3.9.",
        aliases=("sklearn-1.1-ubuntu20.04-py38-cpu",),
        tags={"Scikit-learn": "1.1"},
    ),
    CuratedEnvironment(
        "sklearn-1.0",
        "3.8",
        _pins("scikit-learn==1.0.2 numpy==1.22.4 scipy==1.7.3 pandas==1.3.5 joblib==1.2.0"),
        "scikit-learn 1.0 with numpy, scipy, pandas and joblib, Python 3.8.",
        aliases=("sklearn-1.0-ubuntu20.04-py38-cpu",),
        tags={"Scikit-learn": "1.0"},
    ),
    CuratedEnvironment(
        "lightgbm-3.3",
        "3.10",
        _pins("lightgbm==3.3.5 scikit-learn==1.5.2 numpy==1.26.4 scipy==1.14.1 pandas==2.2.3"),
        "LightGBM 3.3 with scikit-learn, numpy, scipy and pandas, Python 3.10.",
        aliases=("lightgbm-3.3-ubuntu20.04-py38-cpu",),
        tags={"LightGBM": "3.3"},
    ),
    CuratedEnvironment(
        "xgboost-2.1-cpu",
        "3.11",
        _pins("xgboost-cpu==2.1.4 scikit-learn==1.6.1 numpy==2.2.6 scipy==1.15.3 pandas==2.2.3"),
        "XGBoost 2.1 (CPU build, no NCCL) with scikit-learn, numpy, scipy and pandas, Python 3.11.",
        tags={"XGBoost": "2.1"},
    ),
    CuratedEnvironment(
        "pytorch-2.5-cpu",
        "3.11",
        _pins("torch==2.5.1+cpu numpy==2.1.3"),
        "PyTorch 2.5, CPU build (from PyTorch's CPU index), Python 3.11.",
        pip_options=(f"--extra-index-url {_TORCH_CPU_INDEX}",),
        tags={"PyTorch": "2.5"},
    ),
    CuratedEnvironment(
        "tensorflow-2.16-cpu",
        "3.11",
        _pins("tensorflow-cpu==2.16.2 numpy==1.26.4 pandas==2.2.3"),
        "TensorFlow 2.16, CPU build, Python 3.11.",
        aliases=("tensorflow-2.16-cuda12", "tensorflow-2.16-cuda11"),
        tags={"Tensorflow": "2.16"},
    ),
    CuratedEnvironment(
        "mlflow-py312-inference",
        "3.12",
        _pins(
            "mlflow==3.17.2 scikit-learn==1.7.2 cloudpickle==3.1.1 pandas==2.3.3 numpy==2.3.5 "
            "joblib==1.5.2 psutil==7.0.0"
        ),
        "MLflow with scikit-learn, pandas and numpy, Python 3.12.",
        aliases=("mlflow-ubuntu20.04-py38-cpu-inference", "mlflow-ubuntu18.04-py37-cpu-inference"),
        tags={"MLflow": "3.17", "Inferencing": ""},
    ),
)


@dataclass(frozen=True)
class CuratedReference:
    name: str
    version: str | None  # None: the latest


_REGISTRY_REF = re.compile(
    r"^azureml://registries/(?P<registry>[^/]+)/environments/(?P<name>[^/]+)"
    r"(?:/(?P<kind>versions|labels)/(?P<which>[^/]+))?/?$"
)
_WORKSPACE_REF = re.compile(
    r"^(?:azureml:)?AzureML-(?P<name>[^:@/]+)(?:(?P<sep>[:@])(?P<which>.+))?$", re.I
)


def parse_reference(reference: str) -> CuratedReference | None:
    """The curated name and version a reference names; None for a workspace asset reference."""
    text = reference.strip()
    match = _REGISTRY_REF.match(text)
    if match:
        if match["registry"] != REGISTRY:
            raise ValidationError(
                f"Environment reference '{reference}': basin serves one registry, '{REGISTRY}' "
                "(its curated environments). Register the environment in your workspace and "
                "refer to it as azureml:<name>:<version>."
            )
        if match["kind"] is None:
            raise ValidationError(
                f"Environment reference '{reference}' needs a version or a label: "
                f".../environments/{match['name']}/versions/<n> or .../labels/latest."
            )
        return _reference(reference, match["name"], match["kind"] == "labels", match["which"])
    match = _WORKSPACE_REF.match(text)
    if match:
        if match["sep"] is None:
            raise ValidationError(
                f"Environment reference '{reference}' needs a version or @latest "
                f"(azureml:AzureML-{match['name']}@latest)."
            )
        return _reference(reference, match["name"], match["sep"] == "@", match["which"])
    return None


def _reference(reference: str, name: str, is_label: bool, which: str) -> CuratedReference:
    if is_label:
        if which != "latest":
            raise ValidationError(
                f"Environment reference '{reference}': the only label is 'latest'."
            )
        return CuratedReference(name, None)
    if not which.isdigit():
        raise ValidationError(
            f"Environment reference '{reference}': a curated environment's version is a number."
        )
    return CuratedReference(name, which)


def find(name: str) -> CuratedEnvironment:
    """The definition for a curated name (or one of its aliases); unknown names list the known."""
    wanted = name.lower().removeprefix(_PREFIX.lower())
    for curated in CURATED:
        if wanted in (curated.name.lower(), *(alias.lower() for alias in curated.aliases)):
            return curated
    known = ", ".join(curated.name for curated in CURATED)
    raise NotFoundError(
        f"'{name}' is not a curated environment basin knows. Known: {known} (in the azureml "
        "registry: azureml://registries/azureml/environments/<name>/labels/latest, or "
        "azureml:AzureML-<name>@latest). Otherwise write the packages you need in a conda file."
    )


def workspace_name(curated: CuratedEnvironment) -> str:
    """The name a curated environment gets when it is built in a workspace."""
    return _PREFIX + curated.name
