"""A resolution that fails with the platform's requirements names the user's, never blames basin."""

from __future__ import annotations

from basin.envbuild._conflicts import PlatformConflict, involved_requirements
from basin.envbuild._uv import UvFailed

UV_SAYS = [
    "error: No solution found when resolving dependencies:",
    "  cause: Because uvicorn>=0.33.0 depends on h11>=0.8 and you require uvicorn>=0.33, we can "
    "conclude that you require h11>=0.8.",
    "         And because you require h11<0.8, we can conclude that your requirements are "
    "unsatisfiable.",
]


def test_the_user_requirements_uv_mentions_are_named() -> None:
    user = ["h11<0.8", "numpy", "requests==2.31.0"]
    assert involved_requirements("\n".join(UV_SAYS), user) == ["h11<0.8"]


def test_the_message_names_the_user_requirement_and_marks_the_platform_s() -> None:
    failed = UvFailed("resolve", UV_SAYS, 1)
    conflict = PlatformConflict(
        failed,
        ["h11<0.8", "numpy"],
        ["uvicorn>=0.33", "httptools>=0.6.4"],
        "basin's scoring runtime",
    )
    message = conflict.excerpt()
    assert message.startswith("your requirement h11<0.8 cannot be installed together")
    assert (
        "you require uvicorn, that is basin's scoring runtime's uvicorn>=0.33, not yours" in message
    )
    assert "your requirements resolve on their own" in message
    assert "numpy" not in message.split("uv's explanation")[0]


def test_runtime_packages_missing_from_the_indexes_are_said_to_be_missing() -> None:
    lines = [
        "error: No solution found when resolving dependencies:",
        "  cause: Because only uvicorn<0.30 is available and you require uvicorn>=0.33, we can "
        "conclude that your requirements are unsatisfiable.",
    ]
    conflict = PlatformConflict(
        UvFailed("resolve", lines, 1), ["numpy"], ["uvicorn>=0.33"], "basin's scoring runtime"
    )
    message = conflict.excerpt()
    assert message.startswith("basin's scoring runtime needs uvicorn>=0.33, and the indexes")
    assert "your requirement" not in message.split("uv's explanation")[0].replace(
        "your requirements resolve", ""
    )
