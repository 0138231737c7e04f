"""What an environment is made of, and the content hash that names its build."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from basin.errors import ValidationError

from ._pep508 import URL_SCHEMES, normalise_requirement, refuse_userinfo

__all__ = ["EnvironmentSpec", "IndexOptions", "PthFile", "content_hash"]

# Bump when the meaning of a built environment changes (layout, builder steps), so that old
# builds are not reused for new specs.
_HASH_FORMAT = "basin-envbuild-1"
_PYTHON = re.compile(r"^3\.\d{1,2}(\.\d{1,2})?$")
_PTH_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.pth$")


@dataclass(frozen=True)
class IndexOptions:
    """Where packages come from (pip's index options). No credentials: those are separate."""

    index_url: str | None = None  # replaces the default index (PyPI)
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()  # URLs or absolute local folders
    pre: bool = False
    no_index: bool = False  # no registry index at all: find-links and direct URLs only

    def merged(self, other: IndexOptions) -> IndexOptions:
        """These options, then ``other``'s (``other``'s index_url must agree if both set one)."""
        if self.index_url and other.index_url and self.index_url != other.index_url:
            raise ValidationError(
                f"two different --index-url options ({self.index_url!r} and "
                f"{other.index_url!r}); keep one and give the other as --extra-index-url"
            )
        return IndexOptions(
            index_url=self.index_url or other.index_url,
            extra_index_urls=_unique(self.extra_index_urls + other.extra_index_urls),
            find_links=_unique(self.find_links + other.find_links),
            pre=self.pre or other.pre,
            no_index=self.no_index or other.no_index,
        )

    def urls(self) -> tuple[str, ...]:
        """Every index and find-links location, in priority order."""
        first = (self.index_url,) if self.index_url else ()
        return self.extra_index_urls + first + self.find_links


@dataclass(frozen=True)
class PthFile:
    """A ``.pth`` file dropped into site-packages (each line a folder added to sys.path)."""

    name: str
    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        if not _PTH_NAME.match(self.name):
            raise ValidationError(
                f"pth file name {self.name!r} must be a plain file name ending in '.pth'"
            )
        if any("\n" in line for line in self.lines):
            raise ValidationError(f"pth file {self.name!r}: a line may not contain a newline")


@dataclass(frozen=True)
class EnvironmentSpec:
    """Everything that determines a built environment.

    ``requirements`` are the user's lines; ``base_requirements`` come from the curated base
    (``base`` names it); ``platform_requirements`` and ``pth_files`` are what the platform adds
    to every environment (the scoring runtime's needs). ``preferred`` are exact versions the
    resolver picks when they fit (``name==version``; uv's preferences), so the platform can ask
    for a range and still get the versions it ships offline unless the user's packages need
    others. Requirement lines are normalised by :func:`basin.envbuild.normalise_requirement`
    when parsed from files.
    """

    python: str
    requirements: tuple[str, ...] = ()
    index: IndexOptions = field(default_factory=IndexOptions)
    base: str | None = None
    base_requirements: tuple[str, ...] = ()
    platform_requirements: tuple[str, ...] = ()
    pth_files: tuple[PthFile, ...] = ()
    preferred: tuple[str, ...] = ()
    #: Separates builds that must not be shared, e.g. the workspace whose private feed
    #: credentials a build used: another workspace naming the same packages builds its own
    #: (with its own credentials) instead of reusing this one.
    scope: str | None = None

    def __post_init__(self) -> None:
        if not _PYTHON.match(self.python):
            raise ValidationError(
                f"python version {self.python!r} is not understood; write it as 3.X or 3.X.Y "
                "(e.g. python=3.11 in a conda file)"
            )
        # Normalised here so that every way of making a spec hashes the same way.
        for attribute in (
            "requirements",
            "base_requirements",
            "platform_requirements",
            "preferred",
        ):
            lines = getattr(self, attribute)
            normalised = tuple(normalise_requirement(line, where=attribute) for line in lines)
            object.__setattr__(self, attribute, normalised)
        for url in self.index.urls():
            if url.startswith(URL_SCHEMES):
                refuse_userinfo(url, "index options")
        names = [pth.name for pth in self.pth_files]
        if len(names) != len(set(names)):
            raise ValidationError("two pth files have the same name")

    def all_requirements(self) -> tuple[str, ...]:
        """Base, platform and user requirements, de-duplicated, in a stable order."""
        return tuple(
            sorted(set(self.base_requirements + self.platform_requirements + self.requirements))
        )

    def user_requirements(self) -> tuple[str, ...]:
        """Base and user requirements: the spec without what the platform adds."""
        return tuple(sorted(set(self.base_requirements + self.requirements)))

    def with_platform(
        self,
        requirements: tuple[str, ...] = (),
        pth_files: tuple[PthFile, ...] = (),
        preferred: tuple[str, ...] = (),
    ) -> EnvironmentSpec:
        """This spec plus fixed platform requirements and pth files (the extra-paths hook)."""
        return replace(
            self,
            platform_requirements=_unique(self.platform_requirements + requirements),
            pth_files=self.pth_files + pth_files,
            preferred=_unique(self.preferred + preferred),
        )


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _local_file_digest(requirement: str) -> str | None:
    """sha256 of a local file named by a ``name @ file://`` requirement, so edits rebuild."""
    if " @ file://" not in requirement:
        return None
    url = requirement.split(" @ ", 1)[1].split(" ;", 1)[0].strip()
    path = Path(unquote(urlsplit(url).path))
    if not path.is_file():
        return None  # a folder (or missing file): the build reports it
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_hash(spec: EnvironmentSpec) -> str:
    """A stable name for the environment ``spec`` describes (32 hex characters).

    Requirement order and whitespace do not matter (lines are compared in their normalised,
    sorted form); index order does (it sets which index wins). Credentials are never part of
    a spec, so never part of the hash.
    """
    requirements = spec.all_requirements()
    document = {
        "format": _HASH_FORMAT,
        "python": spec.python,
        "requirements": list(requirements),
        "local_files": {r: d for r in requirements if (d := _local_file_digest(r)) is not None},
        "index": {
            "index_url": spec.index.index_url,
            "extra_index_urls": list(spec.index.extra_index_urls),
            "find_links": list(spec.index.find_links),
            "pre": spec.index.pre,
            "no_index": spec.index.no_index,
        },
        "pth_files": sorted((pth.name, list(pth.lines)) for pth in spec.pth_files),
    }
    if spec.scope is not None:  # absent otherwise, so unscoped keys stay as they were
        document["scope"] = spec.scope
    if spec.preferred:
        document["preferred"] = sorted(spec.preferred)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
