"""The public interface of basin.envbuild is what __all__ says."""

from __future__ import annotations

import basin.envbuild as envbuild


def test_exported_members() -> None:
    assert sorted(envbuild.__all__) == sorted(
        [
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
            "dependency_closure",
            "repack_installed",
            "feed_key",
            "validate_feed_target",
            "default_python",
            "direct_urls",
            "find_pythons",
            "interpreter_search_path",
            "missing_python_message",
            "parse_python_version",
            "normalise_requirement",
            "parse_conda_file",
            "parse_requirement_lines",
            "resolve_image",
            "select_python",
            "spec_from_conda",
            "spec_from_requirements",
            "translate_conda_dependency",
        ]
    )
    for name in envbuild.__all__:
        assert getattr(envbuild, name) is not None
