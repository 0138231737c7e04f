"""Scheduled rotation of the token-signing keys (``BASIN_KEY_ROTATION_DAYS``).

A daemon thread looks at the key ring every ``interval_s``: when the signing key has reached
``max_age_s`` a new one takes over (older keys keep verifying), and a key replaced more than
``grace_s`` ago (the longest token lifetime, plus a margin) is retired, so every token it signed
has expired before it stops verifying. Other processes reading the ring (the gateway) pick a
new key up when they first meet its kid.
"""

from __future__ import annotations

import logging
import threading

from basin.identity.keyring import KeyRing

__all__ = ["KeyRotation"]

logger = logging.getLogger("basin.identity")

#: Added to the longest token lifetime before a replaced key is retired (clock skew, slow calls).
RETIRE_MARGIN_S = 300.0


class KeyRotation:
    """Rotates ``keyring`` when its signing key is ``max_age_s`` old; retires replaced keys."""

    def __init__(
        self,
        keyring: KeyRing,
        max_age_s: float,
        grace_s: float,
        interval_s: float | None = None,
    ) -> None:
        if max_age_s <= 0:
            raise ValueError("max_age_s must be positive")
        self.keyring = keyring
        self.max_age_s = max_age_s
        self.grace_s = grace_s
        # Check often enough that a key is never used much beyond its age.
        self.interval_s = interval_s or min(3600.0, max(max_age_s / 10.0, 0.05))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        """One look at the ring: rotate and retire what is due."""
        rotated = self.keyring.rotate_if_older(self.max_age_s)
        if rotated is not None:
            logger.info("Token-signing key rotated: %s signs from now on", rotated.kid)
        for kid in self.keyring.retire_superseded(self.grace_s):
            logger.info(
                "Token-signing key %s retired (replaced more than %.0f s ago)", kid, self.grace_s
            )

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # a full disk must not end rotation for good; try again later
                logger.exception("Key rotation failed; trying again in %.0f s", self.interval_s)

    def start(self) -> None:
        self.check()
        self._thread = threading.Thread(target=self._run, name="basin-key-rotation", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
