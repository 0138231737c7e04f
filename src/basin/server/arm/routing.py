"""A small router for ARM paths: case-insensitive templates, one handler per method and path.

Azure Resource Manager compares paths without regard to case (``resourcegroups`` from
azure-mgmt-resource, ``resourceGroups`` from azure-ai-ml), so templates compile to regular
expressions with ``re.IGNORECASE``; the captured names keep the caller's spelling. ``{name}``
matches one segment, ``{name:path}`` any number (a role assignment's scope), ``{name:a|b}``
one of the words given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from basin.errors import ValidationError
from basin.services.platform import Platform
from basin.store import Principal

__all__ = ["ArmReply", "ArmRequest", "ArmRouter", "Handler", "ResolvedRoute"]


@dataclass
class ArmRequest:
    """What a handler gets: the caller, the path's names, the query and the JSON body."""

    platform: Platform
    principal: Principal
    method: str
    path: str
    params: dict[str, str]
    query: Mapping[str, str]
    body: Any
    client_host: str | None
    state: Any  # the app's state: serving controller, network policy

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object (an empty body is ``{}``), or a 400 saying what came."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ValidationError(
                f"The request body must be a JSON object, not {type(self.body).__name__}."
            )
        return self.body


@dataclass
class ArmReply:
    """A handler's answer: status, JSON body (None: no body) and extra headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[ArmRequest], ArmReply | dict[str, Any] | None]


@dataclass(frozen=True)
class _Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler
    template: str


@dataclass(frozen=True)
class ResolvedRoute:
    handler: Handler
    params: dict[str, str]
    template: str


_PARAM = re.compile(r"\{(\w+)(?::([^}]+))?\}")


def _compile(template: str) -> re.Pattern[str]:
    out, last = [], 0
    for match in _PARAM.finditer(template):
        out.append(re.escape(template[last : match.start()]))
        spec = match.group(2)
        body = ".*?" if spec == "path" else f"(?:{spec})" if spec else "[^/]+"
        out.append(f"(?P<{match.group(1)}>{body})")
        last = match.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out) + "/?", re.IGNORECASE)


class ArmRouter:
    """Routes tried in the order they were added; the first whose path matches wins."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, methods: str, template: str, handler: Handler) -> None:
        names = frozenset(m.strip().upper() for m in methods.split(","))
        self._routes.append(_Route(names, _compile(template), handler, template))

    def route(self, methods: str, template: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(methods, template, handler)
            return handler

        return register

    def include(self, other: ArmRouter) -> None:
        self._routes.extend(other._routes)

    @property
    def templates(self) -> list[tuple[str, str]]:
        """``(methods, template)`` of every route, for the docs."""
        return [("|".join(sorted(r.methods)), r.template) for r in self._routes]

    def resolve(self, method: str, path: str) -> ResolvedRoute | None:
        """The first route whose method and path match."""
        for route in self._routes:
            if method not in route.methods:
                continue
            found = route.pattern.fullmatch(path)
            if found is not None:
                return ResolvedRoute(route.handler, found.groupdict(), route.template)
        return None

    def allowed_methods(self, path: str) -> set[str]:
        """The methods some route takes on ``path`` (none: no such path)."""
        return {m for r in self._routes if r.pattern.fullmatch(path) for m in r.methods}
