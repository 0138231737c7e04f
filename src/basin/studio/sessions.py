"""Studio sessions: kept in the server's memory, named by an HttpOnly SameSite cookie.

The browser holds only a random session id; the basin token it signed in with stays here (never
in a page, a cookie or a log). Each session has its own CSRF token, which every change must send
back (a form field or the ``X-CSRF-Token`` header htmx adds). A server restart ends every
session: the user signs in again.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SIGNIN_COOKIE",
    "Session",
    "SessionStore",
    "same_secret",
]

#: The cookie naming a signed-in session.
SESSION_COOKIE = "basin_studio"
#: The cookie the sign-in form's own CSRF token is checked against (no session exists yet).
SIGNIN_COOKIE = "basin_studio_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: A session unused this long is over.
IDLE_S = 8 * 3600.0
#: The most sessions kept; past it the least recently used goes.
MAX_SESSIONS = 10_000


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison; a missing value never matches."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


@dataclass
class Session:
    id: str
    token: str = field(repr=False)
    csrf: str
    name: str
    object_id: str
    subscription_id: str
    seen: float


class SessionStore:
    def __init__(
        self,
        *,
        idle_s: float = IDLE_S,
        limit: int = MAX_SESSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._idle_s = idle_s
        self._limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def create(self, token: str, *, name: str, object_id: str, subscription_id: str) -> Session:
        session = Session(
            id=secrets.token_urlsafe(32),
            token=token,
            csrf=secrets.token_urlsafe(32),
            name=name,
            object_id=object_id,
            subscription_id=subscription_id,
            seen=self._clock(),
        )
        with self._lock:
            while len(self._sessions) >= self._limit:
                oldest = min(self._sessions.values(), key=lambda s: s.seen)
                del self._sessions[oldest.id]
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.seen > self._idle_s:
                del self._sessions[session_id]
                return None
            session.seen = now
            return session

    def drop(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)
