"""Names and Azure-shaped resource ids.

Ids keep Azure's shape so scripts that pass ids around keep working. Azure compares ids without
regard to case; :func:`id_key` gives the form basin stores and compares.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from basin.errors import ValidationError

__all__ = [
    "NAME_RULES",
    "NameRule",
    "ResourceId",
    "generated_name",
    "id_key",
    "resource_group_id",
    "resource_id",
    "validate_name",
]

ML = "Microsoft.MachineLearningServices"


@dataclass(frozen=True)
class NameRule:
    """Azure's naming rule for one kind of resource, with the words that explain it."""

    pattern: str
    min_length: int
    max_length: int
    description: str

    def check(self, kind: str, name: object) -> str:
        if not isinstance(name, str) or not name:
            raise ValidationError(f"A {kind} name is required ({self.description}).")
        if not self.min_length <= len(name) <= self.max_length or not re.fullmatch(
            self.pattern, name
        ):
            raise ValidationError(
                f"'{name}' is not a valid {kind} name: it must be {self.min_length}-"
                f"{self.max_length} characters, {self.description}."
            )
        return name


NAME_RULES: dict[str, NameRule] = {
    "resource group": NameRule(
        r"[-\w.()]*[-\w()]",
        1,
        90,
        "letters, digits, underscores, hyphens, periods and parentheses, not ending in a period",
    ),
    "workspace": NameRule(
        r"[a-zA-Z0-9][a-zA-Z0-9_-]*",
        3,
        33,
        "starting with a letter or digit, then letters, digits, hyphens and underscores",
    ),
    "storage account": NameRule(r"[a-z0-9]+", 3, 24, "lowercase letters and digits only"),
    "container registry": NameRule(r"[a-zA-Z0-9]+", 5, 50, "letters and digits only"),
    "key vault": NameRule(
        r"[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*[a-zA-Z0-9]",
        3,
        24,
        "starting with a letter, ending with a letter or digit, letters, digits and single hyphens",
    ),
    "application insights": NameRule(
        r"[-\w.()]*[-\w()]", 1, 255, "letters, digits, underscores, hyphens, periods, parentheses"
    ),
    "endpoint": NameRule(
        r"[a-zA-Z](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?",
        3,
        32,
        "starting with a letter, then letters, digits and hyphens, not ending in a hyphen",
    ),
    "deployment": NameRule(
        r"[a-zA-Z](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?",
        3,
        32,
        "starting with a letter, then letters, digits and hyphens, not ending in a hyphen",
    ),
    "managed identity": NameRule(
        r"[a-zA-Z0-9][a-zA-Z0-9_-]*",
        3,
        128,
        "starting with a letter or digit, then letters, digits, hyphens and underscores",
    ),
    "asset": NameRule(
        r"[a-zA-Z0-9_][a-zA-Z0-9_.-]*",
        1,
        255,
        "letters, digits, underscores, periods and hyphens, not starting with a period or hyphen",
    ),
}


def validate_name(kind: str, name: object) -> str:
    """Return ``name`` if it follows Azure's rule for ``kind``; raise ValidationError otherwise."""
    return NAME_RULES[kind].check(kind, name)


def generated_name(base: str, kind: str) -> str:
    """A name for a dependent resource created on a user's behalf, like Azure's ``<ws><hex>``."""
    rule = NAME_RULES[kind]
    stem = re.sub(r"[^a-z0-9]", "", base.lower()) or "basin"
    if not stem[0].isalpha():
        stem = "b" + stem
    suffix = secrets.token_hex(4)
    return (stem[: rule.max_length - len(suffix)] + suffix)[: rule.max_length]


def id_key(resource_id: str) -> str:
    """The form in which ids are stored and compared: lowercase, no trailing slash."""
    return resource_id.rstrip("/").lower()


def resource_group_id(subscription_id: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


def resource_id(
    subscription_id: str, resource_group: str, provider_type: str, name: str, *children: str
) -> str:
    """``…/providers/{provider_type}/{name}[/{child_type}/{child_name}…]``."""
    rid = f"{resource_group_id(subscription_id, resource_group)}/providers/{provider_type}/{name}"
    if children:
        rid += "/" + "/".join(children)
    return rid


@dataclass(frozen=True)
class ResourceId:
    """A parsed Azure resource id."""

    subscription_id: str
    resource_group: str | None
    provider: str | None
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.names[-1] if self.names else (self.resource_group or self.subscription_id)

    @property
    def type(self) -> str:
        """``Microsoft.Storage/storageAccounts`` or ``Microsoft.Resources/resourceGroups``."""
        if self.provider is None:
            return "Microsoft.Resources/resourceGroups" if self.resource_group else "subscriptions"
        return "/".join((self.provider, *self.types))

    @classmethod
    def parse(cls, value: str) -> ResourceId:
        parts = [p for p in value.strip().split("/") if p]
        error = ValidationError(
            f"'{value}' is not a resource id: expected /subscriptions/<id>/resourceGroups/<group>"
            "/providers/<Namespace>/<type>/<name>."
        )
        if len(parts) < 2 or parts[0].lower() != "subscriptions":
            raise error
        subscription = parts[1]
        if len(parts) == 2:
            return cls(subscription, None, None, (), ())
        group: str | None = None
        rest = parts[2:]
        if rest[0].lower() == "resourcegroups":
            if len(rest) < 2:
                raise error
            group, rest = rest[1], rest[2:]
        if not rest:
            return cls(subscription, group, None, (), ())
        # Subscription-level providers too: /subscriptions/s/providers/Microsoft.X/type/name
        if len(rest) < 4 or rest[0].lower() != "providers" or len(rest[2:]) % 2:
            raise error
        pairs = rest[2:]
        return cls(subscription, group, rest[1], tuple(pairs[0::2]), tuple(pairs[1::2]))
