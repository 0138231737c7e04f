"""Feed credentials (PythonFeed connections with a PAT): which URLs get them, how uv gets them.

uv takes credentials for a *named index* from ``UV_INDEX_<NAME>_USERNAME`` / ``_PASSWORD`` in
its environment. basin declares one named index per matching connection, with the
connection's target as URL and ``explicit = true``, in a uv config file that holds no secret:
an explicit index is never searched for packages (the pip interface has no sources to pin
to it), but uv seeds its credential cache with it, and uv attaches cached credentials to every
request whose URL lies under that URL (path segment by segment, the longest match wins). So
index, find-links and direct-URL downloads under a target all authenticate, two feeds on one
host with different paths each get their own token, and the token is never in argv, a URL,
the lock or a file. Everything uv prints goes through :class:`Redactor` anyway.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import SplitResult, quote, urlsplit

from basin.errors import ValidationError

__all__ = [
    "FeedCredential",
    "Redactor",
    "credential_for",
    "feed_key",
    "uv_credentials",
    "validate_feed_target",
]

_MASK = "****"


@dataclass(frozen=True)
class FeedCredential:
    """A PythonFeed connection: every URL under ``target`` authenticates with these."""

    target: str
    username: str
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        validate_feed_target(self.target)
        if not self.secret:
            raise ValidationError(f"the connection for {self.target!r} has an empty token")
        if any(ch in self.username for ch in ":\r\n"):
            raise ValidationError("a feed username may not contain ':' or line breaks")


def validate_feed_target(target: str) -> None:
    """Raise ``ValidationError`` unless ``target`` is an http(s) URL without credentials."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = "" if "@" in target else f" {target!r}"  # never echo what may be a password
        raise ValidationError(
            f"feed target{shown} must be an http(s) URL such as https://pkgs.example.com/org/feed/"
        )
    if parts.username or parts.password:
        raise ValidationError(
            "a feed target must not carry credentials in its URL: give the token as the "
            "connection's credentials (type pat) instead"
        )


def feed_key(target: str) -> str:
    """``target`` as uv matches it: scheme and host in lower case, port explicit, no end slash.

    Two feed connections with the same key would give uv two credentials for one URL.
    """
    parts = urlsplit(target)
    host = (parts.hostname or "").lower()
    return f"{parts.scheme.lower()}://{host}:{_port(parts)}{parts.path.rstrip('/')}"


def _port(parts: SplitResult) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _under(target: str, url: str) -> int | None:
    """Length of the matched target path if ``url`` lies under ``target``, else None."""
    t, u = urlsplit(target), urlsplit(url)
    if t.scheme != u.scheme or (t.hostname or "").lower() != (u.hostname or "").lower():
        return None
    if _port(t) != _port(u):
        return None
    base = t.path.rstrip("/")
    path = u.path or "/"
    # Segment boundary: target /feed covers /feed and /feed/x, not /feed-other.
    if path == base or path.startswith(base + "/"):
        return len(base)
    return None


def credential_for(url: str, credentials: Sequence[FeedCredential]) -> FeedCredential | None:
    """The credential whose target is the longest prefix of ``url`` (as uv will choose)."""
    best: tuple[int, FeedCredential] | None = None
    for credential in credentials:
        length = _under(credential.target, url)
        if length is not None and (best is None or length > best[0]):
            best = (length, credential)
    return best[1] if best else None


def uv_credentials(
    urls: Iterable[str], credentials: Sequence[FeedCredential]
) -> tuple[str, dict[str, str]]:
    """uv config text (no secrets) and environment variables for the credentials ``urls`` need.

    Only connections whose target covers one of ``urls`` are handed to uv.
    """
    needed: list[FeedCredential] = []
    for url in urls:
        credential = credential_for(url, credentials)
        if credential is not None and credential not in needed:
            needed.append(credential)
    config: list[str] = []
    env: dict[str, str] = {}
    for number, credential in enumerate(needed):
        name = f"basin-feed-{number}"
        config += [
            "[[index]]",
            f"name = {json.dumps(name)}",
            f"url = {json.dumps(credential.target)}",
            "explicit = true",
            "",
        ]
        variable = f"UV_INDEX_{name.upper().replace('-', '_')}"
        if credential.username:
            env[f"{variable}_USERNAME"] = credential.username
        env[f"{variable}_PASSWORD"] = credential.secret
    return "\n".join(config), env


class Redactor:
    """Replaces every form of the given secrets that a tool might print."""

    def __init__(self, credentials: Iterable[FeedCredential] = ()) -> None:
        forms: set[str] = set()
        for credential in credentials:
            secret = credential.secret
            basic = f"{credential.username}:{secret}".encode()
            forms |= {secret, quote(secret, safe=""), base64.b64encode(basic).decode()}
        # Longest first, so that a form containing another is replaced whole.
        ordered = sorted((f for f in forms if f), key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(_MASK, text)
