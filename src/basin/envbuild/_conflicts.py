"""When a resolution fails: say whose requirement conflicts, never blaming the platform's.

The platform adds a few requirements to every environment (the scoring runtime's). When the whole
set cannot be resolved, the builder resolves the user's part alone: if that fails too, the
user's own packages conflict among themselves and uv's words (about them only) are the answer;
if it succeeds, the user's requirements conflict with the platform's, and the message names the
user's requirements that uv's explanation involves, with the platform's marked as such.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._pep508 import canonical_name
from ._uv import UvFailed

__all__ = ["PlatformConflict", "involved_requirements"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def _name(requirement: str) -> str:
    match = _NAME.match(requirement)
    return canonical_name(match[0]) if match else requirement


def involved_requirements(text: str, requirements: Sequence[str]) -> list[str]:
    """The ``requirements`` whose project uv's explanation ``text`` names."""
    names = {canonical_name(word) for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)}
    return [line for line in requirements if _name(line) in names]


class PlatformConflict(UvFailed):
    """The user's requirements resolve alone but not with the platform's."""

    def __init__(
        self, failed: UvFailed, user: Sequence[str], platform: Sequence[str], what: str
    ) -> None:
        super().__init__(failed.step, failed.lines, failed.returncode)
        self.user = list(user)
        self.platform = list(platform)
        self.what = what
        self.uv_text = failed.excerpt()

    def excerpt(self, limit: int = 40) -> str:
        culprits = involved_requirements(self.uv_text, self.user)
        mentioned = involved_requirements(self.uv_text, self.platform)
        legend = (
            f" (where it says you require {', '.join(_name(r) for r in mentioned)}, that is "
            f"{self.what}'s {', '.join(mentioned)}, not yours)"
            if mentioned
            else ""
        )
        explanation = f"\nuv's explanation{legend}:\n" + "\n".join(
            self.uv_text.splitlines()[:limit]
        )
        if not culprits:
            # None of the user's packages is involved: the platform's cannot be had here.
            return (
                f"{self.what} needs {', '.join(self.platform)}, and the indexes this build "
                "may use do not offer a version for this Python (your requirements resolve on "
                "their own). Name an index or feed that has them, or build once where the "
                "public index is reachable." + explanation
            )
        named = "your requirement" + ("s " if len(culprits) > 1 else " ") + ", ".join(culprits)
        return (
            f"{named} cannot be installed together with what basin adds to every environment "
            f"for {self.what}: {', '.join(self.platform)} (any version in these ranges works; "
            "your requirements resolve on their own). Loosen "
            + ("them" if len(culprits) > 1 else "it")
            + " to allow those versions."
            + explanation
        )
