"""The environment builder: from a conda file or requirements to a ready, cached virtualenv.

Plain arguments in, plain results out (no settings, no store, no HTTP)::

    parsed = spec_from_conda(conda_yaml, image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04")
    spec = parsed.spec.with_platform(("uvicorn[standard]",), (PthFile("basin.pth", (src,)),))
    builder = EnvironmentBuilder(cache_root, uv_binary)
    env = builder.build(spec, credentials=[FeedCredential(target, user, pat)], on_event=print)
    env.python  # the interpreter to run replicas with
"""

from __future__ import annotations

from ._bases import CURATED_BASES, CuratedBase, resolve_image
from ._builder import EnvironmentBuilder
from ._conda import CondaFile, parse_conda_file, translate_conda_dependency
from ._feeds import FeedCredential, Redactor, credential_for, feed_key, validate_feed_target
from ._indexes import PUBLIC_INDEX_HOSTS, direct_urls
from ._pep508 import canonical_name, normalise_requirement
from ._pythons import (
    PythonDownloads,
    PythonInstall,
    find_pythons,
    interpreter_search_path,
    missing_python_message,
    parse_python_version,
    select_python,
)
from ._repack import dependency_closure, repack_installed
from ._requirements import ParsedRequirements, parse_requirement_lines
from ._results import BuildEvent, BuildState, BuildStatus, BuiltEnvironment
from ._sources import ParsedEnvironment, default_python, spec_from_conda, spec_from_requirements
from ._spec import EnvironmentSpec, IndexOptions, PthFile, content_hash

__all__ = [
    "CURATED_BASES",
    "PUBLIC_INDEX_HOSTS",
    "BuildEvent",
    "BuildState",
    "BuildStatus",
    "BuiltEnvironment",
    "CondaFile",
    "CuratedBase",
    "EnvironmentBuilder",
    "EnvironmentSpec",
    "FeedCredential",
    "IndexOptions",
    "ParsedEnvironment",
    "ParsedRequirements",
    "PthFile",
    "PythonDownloads",
    "PythonInstall",
    "Redactor",
    "canonical_name",
    "content_hash",
    "credential_for",
    "default_python",
    "dependency_closure",
    "direct_urls",
    "feed_key",
    "find_pythons",
    "interpreter_search_path",
    "missing_python_message",
    "normalise_requirement",
    "parse_conda_file",
    "parse_python_version",
    "parse_requirement_lines",
    "repack_installed",
    "resolve_image",
    "select_python",
    "spec_from_conda",
    "spec_from_requirements",
    "translate_conda_dependency",
    "validate_feed_target",
]
