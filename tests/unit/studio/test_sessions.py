"""Studio sessions: idle expiry, a bounded store, and a token that never shows."""

from __future__ import annotations

from basin.studio.sessions import SessionStore, same_secret


def test_sessions_expire_when_idle_and_the_oldest_goes_first() -> None:
    now = [0.0]
    store = SessionStore(idle_s=60, limit=2, clock=lambda: now[0])
    first = store.create("tok-1", name="a", object_id="o1", subscription_id="s")
    assert store.get(first.id) is first and first.csrf != first.id
    now[0] = 59
    assert store.get(first.id) is first  # use keeps it alive
    now[0] = 118
    second = store.create("tok-2", name="b", object_id="o2", subscription_id="s")
    now[0] = 119
    store.get(second.id)
    third = store.create("tok-3", name="c", object_id="o3", subscription_id="s")
    assert store.get(first.id) is None  # least recently used, dropped at the limit
    assert store.get(third.id) is third
    now[0] = 1000
    assert store.get(second.id) is None  # idle too long
    store.drop(third.id)
    assert store.get(third.id) is None and store.get(None) is None


def test_the_token_is_not_in_a_session_repr_and_secrets_compare_safely() -> None:
    session = SessionStore().create("secret-token", name="a", object_id="o", subscription_id="s")
    assert "secret-token" not in repr(session)
    assert same_secret(session.csrf, session.csrf)
    assert not same_secret(None, session.csrf) and not same_secret("", session.csrf)
    assert not same_secret("x", session.csrf)
