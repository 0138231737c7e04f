"""Index options as uv arguments, and the air-gapped rule."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from basin.errors import ValidationError

from ._spec import EnvironmentSpec, IndexOptions

__all__ = ["PUBLIC_INDEX_HOSTS", "check_air_gap", "direct_urls", "uv_index_args"]

PUBLIC_INDEX_HOSTS = frozenset(
    {"pypi.org", "pypi.python.org", "files.pythonhosted.org", "test.pypi.org"}
)


def direct_urls(requirements: Sequence[str]) -> list[str]:
    """The URLs of ``name @ URL`` requirements."""
    return [
        line.split(" @ ", 1)[1].split(" ;", 1)[0].strip() for line in requirements if " @ " in line
    ]


def check_air_gap(spec: EnvironmentSpec) -> None:
    """Air-gapped: refuse a spec that names the public index or its files."""
    urls = [*spec.index.urls(), *direct_urls(spec.all_requirements())]
    public = [url for url in urls if (urlsplit(url).hostname or "") in PUBLIC_INDEX_HOSTS]
    if public:
        raise ValidationError(
            f"air-gapped mode: the public package index cannot be used ({', '.join(public)})"
            "; use a private feed, find-links or a wheel uploaded to the workspace"
        )


def uv_index_args(index: IndexOptions, empty_index: Path, air_gapped: bool) -> list[str]:
    """uv arguments for ``index``. Without a registry index (``no_index``, or air-gapped with
    no index_url of the spec's own), uv's default index is ``empty_index``, an empty folder:
    ``--no-index`` would also drop the named indexes that carry the feed credentials."""
    args: list[str] = []
    if not index.no_index:
        for url in index.extra_index_urls:
            args += ["--index", url]
    if index.no_index or (air_gapped and index.index_url is None):
        args += ["--default-index", empty_index.as_uri()]
    elif index.index_url is not None:
        args += ["--default-index", index.index_url]
    for link in index.find_links:
        args += ["--find-links", link]
    if index.pre:
        args += ["--prerelease", "allow"]
    return args
