"""Resources and audiences: turning an OAuth scope into a resource, and comparing audiences."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from basin.errors import ValidationError

__all__ = ["audience_key", "is_endpoint_audience", "resource_from_scope", "same_audience"]

_DEFAULT_SUFFIX = "/.default"
_MAX_LENGTH = 2048


def resource_from_scope(value: str) -> str:
    """The resource a scope asks for: ``https://storage.azure.com/.default`` ->
    ``https://storage.azure.com`` (what azure-identity sends). Anything else is kept as given.

    One resource only: a value with whitespace (several scopes) is refused.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError("A resource is required, e.g. 'https://storage.azure.com/'.")
    if len(text) > _MAX_LENGTH or any(c.isspace() or not c.isprintable() for c in text):
        raise ValidationError(
            "The resource must be a single URI or application id, e.g. 'https://storage.azure.com/'."
        )
    if text.lower().endswith(_DEFAULT_SUFFIX):
        text = text[: -len(_DEFAULT_SUFFIX)]
    # Whoever compares the result must see what the token will say: stripping once more later
    # would turn a refused ``…/score/.default`` into an endpoint audience.
    if any(segment.lower() == ".default" for segment in text.split("/")):
        raise ValidationError(
            "A scope ends with '/.default' at most once, e.g. 'https://storage.azure.com/.default'."
        )
    if not text:
        raise ValidationError("A resource is required, e.g. 'https://storage.azure.com/'.")
    return text


def audience_key(value: str) -> str:
    """The form audiences are compared in: trailing ``/`` and ``/.default`` dropped, the scheme
    and host lowercased (URL paths keep their case), application ids lowercased."""
    text = resource_from_scope(value).rstrip("/")
    parts = urlsplit(text)
    if parts.scheme and parts.netloc:
        return urlunsplit(
            (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment)
        )
    return text.lower()


_ENDPOINT_PATH = re.compile(r"/endpoints/[^/]+/score", re.IGNORECASE)


def is_endpoint_audience(value: str) -> bool:
    """Whether a resource names an online endpoint's scoring URI (any host, any case): such
    audiences are minted only by the endpoint's own get-credentials call."""
    try:
        path = urlsplit(audience_key(value)).path
    except ValidationError:
        return False
    return _ENDPOINT_PATH.fullmatch(path.rstrip("/")) is not None


def same_audience(a: str, b: str) -> bool:
    """Whether two resource/audience strings name the same audience
    (``https://storage.azure.com/`` and ``https://storage.azure.com`` do)."""
    try:
        return audience_key(a) == audience_key(b)
    except ValidationError:
        return False
