"""One requirement line: check it and write it in a canonical form (a PEP 508 subset)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from basin.errors import ValidationError

__all__ = ["URL_SCHEMES", "canonical_name", "normalise_requirement", "refuse_userinfo"]

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_HEAD = re.compile(rf"^(?P<name>{_NAME})\s*(?:\[(?P<extras>[^\]]*)\])?\s*(?P<rest>.*)$", re.S)
_CLAUSE = re.compile(r"^(?P<op>~=|===|==|!=|<=|>=|<|>)\s*(?P<version>[A-Za-z0-9.*+!_-]+)$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+)*(?:\.\*)?(?:[-_.]?[A-Za-z0-9.+!_-]*)?$")
URL_SCHEMES = ("http://", "https://", "file://")
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")
_REQ_HELP = (
    "write a PEP 508 requirement such as 'numpy>=1.26', 'pandas[excel]==2.2.*', "
    "'mypkg @ https://host/mypkg-1.0-py3-none-any.whl' or an absolute path to a wheel"
)


def canonical_name(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _hide_userinfo(text: str) -> str:
    """Never echo credentials a user pasted into a URL."""
    return re.sub(r"://[^/@\s]+@", "://****@", text)


def _fail(entry: str, where: str, rule: str) -> ValidationError:
    return ValidationError(f"{where}: {_hide_userinfo(entry)!r} is not a valid requirement: {rule}")


def refuse_userinfo(url: str, where: str) -> None:
    """Credentials belong in a workspace connection, never in a spec (its hash, its lock)."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError(
            f"{where}: the URL {_hide_userinfo(url)!r} carries credentials; remove them from "
            "the URL and store the token as a workspace connection (category PythonFeed, auth "
            "type PAT) whose target is a prefix of the URL"
        )


def _split_marker(rest: str, *, url: bool) -> tuple[str, str]:
    # PEP 508: after a URL the marker needs whitespace before ';' (a ';' may be part of a URL).
    pattern = r"\s+;" if url else r";"
    parts = re.split(pattern, rest, maxsplit=1)
    marker = " ".join(parts[1].split()) if len(parts) == 2 else ""
    return parts[0].strip(), marker


def _normalise_specifiers(text: str, entry: str, where: str) -> str:
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if not text:
        return ""
    clauses = []
    for raw in text.split(","):
        match = _CLAUSE.match(raw.strip())
        if match is None or not _VERSION.match(match["version"]):
            raise _fail(
                entry, where, f"the version clause {raw.strip()!r} is not understood; {_REQ_HELP}"
            )
        if "*" in match["version"] and match["op"] not in ("==", "!="):
            raise _fail(entry, where, "a wildcard version ('1.2.*') only goes with == or !=")
        clauses.append(f"{match['op']}{match['version']}")
    return ",".join(sorted(clauses))


def _name_from_archive(location: str, entry: str, where: str) -> str:
    filename = unquote(urlsplit(location).path.rsplit("/", 1)[-1])
    if filename.endswith(".whl"):
        return filename.split("-", 1)[0]
    for suffix in _ARCHIVES:
        if filename.endswith(suffix) and "-" in filename:
            return filename[: -len(suffix)].rsplit("-", 1)[0]
    raise _fail(entry, where, f"cannot tell the project name from {filename!r}; write 'name @ URL'")


def _resolve_location(location: str, entry: str, where: str, base_dir: Path | None) -> str:
    """A URL stays a URL; a local path becomes an absolute file:// URL."""
    if location.startswith(URL_SCHEMES):
        refuse_userinfo(location, where)
        return location
    path = Path(location).expanduser()
    if not path.is_absolute():
        if base_dir is None:
            raise _fail(entry, where, "a relative path needs the folder it is relative to")
        path = base_dir / path
    path = path.resolve()
    if not path.exists():
        raise _fail(entry, where, f"the file {str(path)!r} does not exist")
    return path.as_uri()


def _looks_like_location(text: str) -> bool:
    if text.startswith((*URL_SCHEMES, "/", "./", "../", "~")):
        return True
    # 'mypkg-1.0-py3-none-any.whl' (a relative path), but not 'mypkg @ https://.../x.whl'
    return text.endswith(_ARCHIVES) and "@" not in text and not any(c.isspace() for c in text)


def normalise_requirement(
    entry: str, *, where: str = "requirement", base_dir: Path | None = None
) -> str:
    """Check one requirement and return its canonical text (name normalised, sorted clauses)."""
    text = entry.strip()
    if not text:
        raise _fail(entry, where, "it is empty")
    if _looks_like_location(text):
        location, marker = _split_marker(text, url=True)
        url = _resolve_location(location, entry, where, base_dir)
        name = canonical_name(_name_from_archive(url, entry, where))
        return f"{name} @ {url}" + (f" ; {marker}" if marker else "")
    match = _HEAD.match(text)
    if match is None:
        raise _fail(entry, where, f"it does not start with a project name; {_REQ_HELP}")
    name = canonical_name(match["name"])
    extras = ""
    if match["extras"] is not None:
        names = [e.strip() for e in match["extras"].split(",") if e.strip()]
        if not all(re.fullmatch(_NAME, e) for e in names):
            raise _fail(entry, where, "extras are project-like names inside [...]")
        extras = "[" + ",".join(sorted(canonical_name(e) for e in names)) + "]"
    rest = match["rest"].strip()
    if rest.startswith("@"):
        location, marker = _split_marker(rest[1:].strip(), url=True)
        if not location:
            raise _fail(entry, where, "'@' must be followed by a URL or path")
        url = _resolve_location(location, entry, where, base_dir)
        return f"{name}{extras} @ {url}" + (f" ; {marker}" if marker else "")
    specifiers, marker = _split_marker(rest, url=False)
    clauses = _normalise_specifiers(specifiers, entry, where)
    return f"{name}{extras}{clauses}" + (f"; {marker}" if marker else "")
