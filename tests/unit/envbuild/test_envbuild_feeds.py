"""Which URLs get which feed credentials, and what uv is handed."""

from __future__ import annotations

import base64

import pytest

from basin.envbuild import FeedCredential, Redactor, credential_for
from basin.envbuild._feeds import uv_credentials
from basin.errors import ValidationError

A = FeedCredential("https://pkgs.example.com/orgA/", "basin", "token-A-123")
A_FEED = FeedCredential("https://pkgs.example.com/orgA/feed2", "basin", "token-A2-456")
B = FeedCredential("https://pkgs.example.com/orgB", "basin", "token-B-789")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://pkgs.example.com/orgA/simple/", A),
        ("https://PKGS.example.com:443/orgA/pkg.whl", A),
        ("https://pkgs.example.com/orgA/feed2/simple/", A_FEED),
        ("https://pkgs.example.com/orgB/simple/", B),
        ("https://pkgs.example.com/orgB", B),
        ("https://pkgs.example.com/orgBad/simple/", None),
        ("http://pkgs.example.com/orgA/simple/", None),
        ("https://pkgs.example.com:8443/orgA/simple/", None),
        ("https://other.example.com/orgA/simple/", None),
    ],
)
def test_longest_matching_target_wins(url: str, expected: FeedCredential | None) -> None:
    assert credential_for(url, [A, A_FEED, B]) == expected


def test_only_needed_credentials_reach_uv_and_the_config_has_no_secret() -> None:
    config, env = uv_credentials(["https://pkgs.example.com/orgB/simple/"], [A, A_FEED, B])
    assert 'url = "https://pkgs.example.com/orgB"' in config
    assert "explicit = true" in config
    assert "token" not in config
    assert env == {
        "UV_INDEX_BASIN_FEED_0_USERNAME": "basin",
        "UV_INDEX_BASIN_FEED_0_PASSWORD": "token-B-789",
    }


def test_secret_is_not_in_repr() -> None:
    assert "token-A-123" not in repr(A)


@pytest.mark.parametrize(
    ("target", "secret", "pattern"),
    [
        ("ftp://x.example.com/", "t", "http"),
        ("https://u:p@x.example.com/", "t", "must not carry credentials"),
        ("https://x.example.com/", "", "empty token"),
    ],
)
def test_bad_credentials_are_refused(target: str, secret: str, pattern: str) -> None:
    with pytest.raises(ValidationError, match=pattern) as caught:
        FeedCredential(target, "u", secret)
    assert "u:p" not in caught.value.message or "must not" in caught.value.message


def test_redactor_hides_every_form() -> None:
    credential = FeedCredential("https://x.example.com/", "me", "p@ss/w:rd")
    basic = base64.b64encode(b"me:p@ss/w:rd").decode()
    text = f"a p@ss/w:rd b p%40ss%2Fw%3Ard c Basic {basic}"
    assert Redactor([credential])(text) == "a **** b **** c Basic ****"
    assert Redactor()(text) == text
