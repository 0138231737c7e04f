"""The error tree: the SDK rebuilds the server's exception from its answer."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (408, "RequestTimeoutError"),
        (429, "TooManyRequestsError"),
        (502, "BadGatewayError"),
        (404, "NotFoundError"),
    ],
)
def test_errors_are_rebuilt_by_code_or_status(status: int, name: str) -> None:
    """The SDK turns an answer back into basin's class: by its code, else by its status."""
    import basin.errors as errors

    rebuilt = errors.error_from_code("NoSuchCode", "m", status)
    assert type(rebuilt).__name__ == name
    assert type(errors.error_from_code(getattr(errors, name).code, "m")).__name__ == name
