"""At start, before anything is served: remove what a killed server left half-made.

A server can be SIGKILLed at any point. Everything it writes is made aside and renamed or
committed into place, so a kill leaves the old state or the new one, plus what was being made
aside. Those are only removable by the next start (or, in the shared build cache, by whoever
finds their build key free): staging folders of laid-out models and code, build folders and
work folders of environment builds, the temporary files of keys, certificates and credentials
being replaced, blob data files no committed blob refers to, and datastore uploads whose
completion marker was never written.
"""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path

from basin.files import remove_temporaries
from basin.services import datastores
from basin.services._folders import STAGING_PREFIX, is_staging
from basin.services.platform import Platform

__all__ = ["sweep_after_crash"]

logger = logging.getLogger("basin.server")

#: Uncommitted blocks are kept as long as Azure keeps them; orphaned data files are not.
STAGED_BLOCKS_KEPT = timedelta(days=7)


#: Where ``build_folder`` and the wheel fetcher make things under the home (no build cache:
#: that may be shared by several servers; the builder sweeps it by its own locks).
_MADE_ASIDE = ("serving", "wheelhouse", "runtime", "wheel-cache")


def _half_made(home: Path) -> list[Path]:
    found: list[Path] = []
    for root in (home / name for name in _MADE_ASIDE):
        if root.is_dir():
            found += [p for p in root.rglob(f"{STAGING_PREFIX}*") if is_staging(p)]
            found += root.rglob(".part-*")  # a wheel being copied out of the blob store
    return found


def _replaced_whole(home: Path) -> list[Path]:
    """Folders where the server replaces whole files: credentials, keys, certificates."""
    tls = home / "tls"
    return [home, home / "keys", tls, *(p for p in tls.rglob("*") if p.is_dir())]


def sweep_after_crash(platform: Platform) -> dict[str, int]:
    """Remove every half-made thing of a past life; returns what was removed, by kind."""
    removed: dict[str, int] = {}
    if platform.builds is not None:
        removed["builds"] = platform.builds.builder.sweep_abandoned()
    half_made = _half_made(platform.state_dir)
    for path in half_made:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    removed["staging folders"] = len(half_made)
    removed["temporary files"] = sum(map(remove_temporaries, _replaced_whole(platform.state_dir)))
    removed["uploads"] = datastores.remove_incomplete_uploads(platform)
    if platform.blobs is not None:
        removed["blob files"] = platform.blobs.collect_garbage(
            STAGED_BLOCKS_KEPT, orphans_older_than=timedelta(0)
        )
    if any(removed.values()):
        logger.info(
            "Removed what a stopped server left half-made: %s",
            ", ".join(f"{count} {kind}" for kind, count in removed.items() if count),
        )
    return removed
