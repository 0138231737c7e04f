"""Pieces shared by the route modules: path prefixes, list bodies, the subscription check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request

from basin.entities import Entity
from basin.server.auth import check_subscription, platform_of
from basin.services.platform import Platform

__all__ = ["GROUP", "SUB", "listing", "platform_for"]

SUB = "/subscriptions/{subscription_id}"
GROUP = SUB + "/resourceGroups/{group}"


def platform_for(request: Request, subscription_id: str) -> Platform:
    """The platform, after checking the subscription in the path is this installation's."""
    platform = platform_of(request)
    check_subscription(platform, subscription_id)
    return platform


def listing(items: Iterable[Entity]) -> dict[str, Any]:
    return {"value": [item.to_dict() for item in items]}
