"""Instance types as resources: Azure's VM sizes and the operator's own list.

A deployment's ``instance_type`` becomes what each replica asks of a machine (``Resources``):
CPUs, memory and GPUs. Azure's sizes are the published ones (vCPUs, memory in GiB, GPUs) of
the sizes Azure ML's examples and docs use; names are matched without regard to case, as
Azure does. The operator adds sizes of their own (or overrides Azure's) in a YAML or JSON file:

    - name: gpu-small        # what deployments write as instance_type
      cpus: 4
      memory_gib: 16
      gpus: 1
      resources: {node2: 0.01}   # optional: Ray custom resources (place on nodes that have them)
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from basin.compute.models import Resources
from basin.errors import ValidationError

__all__ = ["AZURE_INSTANCE_TYPES", "InstanceType", "InstanceTypes", "load_instance_types"]

_GIB = 2**30


@dataclass(frozen=True)
class InstanceType:
    name: str
    resources: Resources
    source: str  # "azure" or the operator's file


def _azure(name: str, cpus: int, memory_gib: float, gpus: int = 0) -> InstanceType:
    return InstanceType(name, Resources(cpus, int(memory_gib * _GIB), gpus), "azure")


#: Azure's published sizes (vCPU, GiB, GPUs) of the families Azure ML online endpoints offer.
AZURE_INSTANCE_TYPES: tuple[InstanceType, ...] = (
    # General purpose, Dv2/DSv2
    _azure("Standard_D1_v2", 1, 3.5),
    _azure("Standard_D2_v2", 2, 7),
    _azure("Standard_D3_v2", 4, 14),
    _azure("Standard_D4_v2", 8, 28),
    _azure("Standard_D5_v2", 16, 56),
    _azure("Standard_DS1_v2", 1, 3.5),
    _azure("Standard_DS2_v2", 2, 7),
    _azure("Standard_DS3_v2", 4, 14),
    _azure("Standard_DS4_v2", 8, 28),
    _azure("Standard_DS5_v2", 16, 56),
    # General purpose, Dsv3 / Dasv4
    _azure("Standard_D2s_v3", 2, 8),
    _azure("Standard_D4s_v3", 4, 16),
    _azure("Standard_D8s_v3", 8, 32),
    _azure("Standard_D16s_v3", 16, 64),
    _azure("Standard_D32s_v3", 32, 128),
    _azure("Standard_D64s_v3", 64, 256),
    _azure("Standard_D2as_v4", 2, 8),
    _azure("Standard_D4as_v4", 4, 16),
    _azure("Standard_D8as_v4", 8, 32),
    _azure("Standard_D16as_v4", 16, 64),
    _azure("Standard_D32as_v4", 32, 128),
    # Memory optimised, DSv2 11-15 and Esv3
    _azure("Standard_DS11_v2", 2, 14),
    _azure("Standard_DS12_v2", 4, 28),
    _azure("Standard_DS13_v2", 8, 56),
    _azure("Standard_DS14_v2", 16, 112),
    _azure("Standard_E2s_v3", 2, 16),
    _azure("Standard_E4s_v3", 4, 32),
    _azure("Standard_E8s_v3", 8, 64),
    _azure("Standard_E16s_v3", 16, 128),
    _azure("Standard_E32s_v3", 32, 256),
    _azure("Standard_E48s_v3", 48, 384),
    _azure("Standard_E64s_v3", 64, 432),
    # Compute optimised, Fsv2
    _azure("Standard_F2s_v2", 2, 4),
    _azure("Standard_F4s_v2", 4, 8),
    _azure("Standard_F8s_v2", 8, 16),
    _azure("Standard_F16s_v2", 16, 32),
    _azure("Standard_F32s_v2", 32, 64),
    _azure("Standard_F48s_v2", 48, 96),
    _azure("Standard_F64s_v2", 64, 128),
    _azure("Standard_F72s_v2", 72, 144),
    # GPU: NCv3 (V100), NCasT4_v3 (T4), NC A100 v4, ND
    _azure("Standard_NC6s_v3", 6, 112, 1),
    _azure("Standard_NC12s_v3", 12, 224, 2),
    _azure("Standard_NC24s_v3", 24, 448, 4),
    _azure("Standard_NC24rs_v3", 24, 448, 4),
    _azure("Standard_NC4as_T4_v3", 4, 28, 1),
    _azure("Standard_NC8as_T4_v3", 8, 56, 1),
    _azure("Standard_NC16as_T4_v3", 16, 110, 1),
    _azure("Standard_NC64as_T4_v3", 64, 440, 4),
    _azure("Standard_NC24ads_A100_v4", 24, 220, 1),
    _azure("Standard_NC48ads_A100_v4", 48, 440, 2),
    _azure("Standard_NC96ads_A100_v4", 96, 880, 4),
    _azure("Standard_ND40rs_v2", 40, 672, 8),
    _azure("Standard_ND96asr_v4", 96, 900, 8),
    _azure("Standard_ND96amsr_A100_v4", 96, 1900, 8),
)


class InstanceTypes:
    """The sizes deployments may name: Azure's, then the operator's (which win on a clash)."""

    def __init__(self, types: Iterable[InstanceType] = AZURE_INSTANCE_TYPES) -> None:
        self._types: dict[str, InstanceType] = {}
        for instance_type in types:
            self._types[instance_type.name.lower()] = instance_type

    def __iter__(self) -> Any:
        return iter(sorted(self._types.values(), key=lambda t: t.name.lower()))

    def get(self, name: str) -> InstanceType:
        """The size called ``name`` (any case); ``ValidationError`` naming close ones if unknown."""
        found = self._types.get(name.lower())
        if found is not None:
            return found
        names = [t.name for t in self._types.values()]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValidationError(
            f"Unknown instance_type '{name}'.{hint} basin knows Azure's sizes (e.g. "
            "Standard_DS3_v2, Standard_F4s_v2, Standard_NC6s_v3) and the operator's own "
            "(BASIN_INSTANCE_TYPES_FILE)."
        )

    def resources(self, name: str | None) -> Resources | None:
        return None if name is None else self.get(name).resources


def _entry(raw: Any, where: str) -> InstanceType:
    if not isinstance(raw, Mapping):
        raise ValidationError(f"{where}: each instance type is a mapping with name, cpus, ...")
    unknown = set(raw) - {"name", "cpus", "memory_gib", "gpus", "resources"}
    if unknown:
        raise ValidationError(
            f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
            "allowed: name, cpus, memory_gib, gpus, resources."
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"{where}: 'name' must be a non-empty string.")
    try:
        custom = raw.get("resources") or {}
        if not isinstance(custom, Mapping):
            raise TypeError
        resources = Resources(
            cpus=float(raw.get("cpus", 1)),
            memory_bytes=int(float(raw.get("memory_gib", 0)) * _GIB),
            gpus=int(raw.get("gpus", 0)),
            custom=tuple(sorted((str(k), float(v)) for k, v in custom.items())),
        )
    except (TypeError, ValueError):
        raise ValidationError(
            f"{where} ({name}): cpus and memory_gib are numbers, gpus a whole number, "
            "resources a mapping of names to numbers."
        ) from None
    try:
        resources.validate()
    except ValidationError as error:
        raise ValidationError(f"{where} ({name}): {error.message}") from None
    return InstanceType(name.strip(), resources, where)


def load_instance_types(path: Path | None) -> InstanceTypes:
    """Azure's sizes plus the operator's file (YAML or JSON list); a bad file is refused whole."""
    if path is None:
        return InstanceTypes()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValidationError(
            f"Cannot read the instance types file {path}: {error.strerror}."
        ) from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ValidationError(f"The instance types file {path} is not valid: {error}") from None
    if not isinstance(data, list):
        raise ValidationError(f"The instance types file {path} must hold a list of sizes.")
    own = [_entry(raw, f"{path}[{index}]") for index, raw in enumerate(data)]
    return InstanceTypes([*AZURE_INSTANCE_TYPES, *own])
