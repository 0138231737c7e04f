"""pip requirement files (and conda ``pip:`` sections): requirement lines plus pip options."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from basin.errors import ValidationError

from ._pep508 import URL_SCHEMES, normalise_requirement, refuse_userinfo
from ._spec import IndexOptions

__all__ = ["ParsedRequirements", "parse_requirement_lines"]


@dataclass
class ParsedRequirements:
    """Requirement lines plus the pip options found among them."""

    requirements: list[str] = field(default_factory=list)
    index: IndexOptions = field(default_factory=IndexOptions)


_OPTIONS_WITH_VALUE = {
    "-i": "index_url",
    "--index-url": "index_url",
    "--extra-index-url": "extra_index_urls",
    "-f": "find_links",
    "--find-links": "find_links",
}
_SUPPORTED = "--index-url/-i, --extra-index-url, --find-links/-f, --pre, --no-index"


def _logical_lines(text: str) -> list[str]:
    """Join backslash continuations and drop comments, as pip does."""
    joined = re.sub(r"\\\r?\n", "", text)
    lines = []
    for raw in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line:
            lines.append(line)
    return lines


def _location_option(value: str, where: str, base_dir: Path | None) -> str:
    if value.startswith(URL_SCHEMES):
        refuse_userinfo(value, where)
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        if base_dir is None:
            raise ValidationError(f"{where}: the relative path {value!r} needs a base folder")
        path = base_dir / path
    return str(path.resolve())


def parse_requirement_lines(
    lines: list[str] | str, *, where: str, base_dir: Path | None = None
) -> ParsedRequirements:
    """Parse requirements.txt text (or the lines of a conda ``pip:`` section)."""
    items = _logical_lines(lines) if isinstance(lines, str) else [ln.strip() for ln in lines]
    requirements: list[str] = []
    index_url: str | None = None
    extra_index_urls: list[str] = []
    find_links: list[str] = []
    pre = no_index = False
    for item in items:
        if not item or item.startswith("#"):
            continue
        if not item.startswith("-"):
            requirements.append(normalise_requirement(item, where=where, base_dir=base_dir))
            continue
        option, value = _split_option(item)
        if option == "--pre" and not value:
            pre = True
        elif option == "--no-index" and not value:
            no_index = True
        elif option in _OPTIONS_WITH_VALUE and value:
            location = _location_option(value, f"{where} ({option})", base_dir)
            kind = _OPTIONS_WITH_VALUE[option]
            if kind == "index_url":
                if index_url not in (None, location):
                    raise ValidationError(
                        f"{where}: two different --index-url options ({index_url!r} and "
                        f"{location!r}); keep one and give the other as --extra-index-url"
                    )
                index_url = location
            else:
                target = extra_index_urls if kind == "extra_index_urls" else find_links
                if location not in target:
                    target.append(location)
        else:
            raise ValidationError(
                f"{where}: the pip option {item!r} is not supported; supported options are "
                f"{_SUPPORTED}. Write the requirements of other files here directly."
            )
    index = IndexOptions(
        index_url=index_url,
        extra_index_urls=tuple(extra_index_urls),
        find_links=tuple(find_links),
        pre=pre,
        no_index=no_index,
    )
    return ParsedRequirements(requirements=requirements, index=index)


def _split_option(item: str) -> tuple[str, str]:
    """'--opt=value', '--opt value', '-f value' or '-fvalue' -> (option, value)."""
    if item.startswith("--"):
        option, sep, value = item.partition("=")
        if sep and " " not in option:
            return option, value.strip()
    option, _, value = item.partition(" ")
    if not option.startswith("--") and len(option) > 2:
        return option[:2], option[2:] + (" " + value if value else "")
    return option, value.strip()
