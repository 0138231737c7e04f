"""Listing queries of the local blob store: name order, prefixes, virtual folders, pages."""

from __future__ import annotations

import sqlite3

from basin.blobs import _local_index as ix
from basin.blobs.models import BlobPage, BlobProperties, ContainerPage


def successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``."""
    last = ord(prefix[-1])
    if last == 0x10FFFF:
        return None
    following = 0xE000 if last == 0xD7FF else last + 1  # skip the surrogate range
    return prefix[:-1] + chr(following)


def list_containers(
    db: sqlite3.Connection, account: str, prefix: str, marker: str | None, max_results: int
) -> ContainerPage:
    rows = db.execute(
        "SELECT account, name, etag, last_modified, metadata FROM containers "
        "WHERE account=? AND name>=? ORDER BY name LIMIT ?",
        (account, max(prefix, marker or ""), max_results + 1),
    ).fetchall()
    found = [ix.container_from_row(r) for r in rows if r[1].startswith(prefix)]
    if len(found) > max_results:
        return ContainerPage(found[:max_results], found[max_results].name)
    return ContainerPage(found, None)


def list_blobs(
    db: sqlite3.Connection,
    account: str,
    container: str,
    prefix: str,
    delimiter: str | None,
    marker: str | None,
    max_results: int,
) -> BlobPage:
    """One page; ``next_marker`` is the first name (or folder) of the next page."""
    items: list[BlobProperties | str] = []
    lower = max(prefix, marker or "")
    upper = successor(prefix) if prefix else None
    done = False
    while not done and len(items) <= max_results:
        limit = max_results + 1 - len(items)
        rows = db.execute(
            f"SELECT {ix.BLOB_COLUMNS} FROM blobs WHERE account=? AND container=? "
            "AND name>=? AND (? IS NULL OR name<?) ORDER BY name LIMIT ?",
            (account, container, lower, upper, upper, limit),
        ).fetchall()
        done = len(rows) < limit
        for row in rows:
            name: str = row[2]
            if not name.startswith(prefix):  # only when the prefix has no successor
                done = True
                break
            lower = name + "\x00"  # the smallest name after this one
            cut = name.find(delimiter, len(prefix)) if delimiter else -1
            if cut < 0:
                items.append(ix.blob_from_row(row))
            else:
                folder = name[: cut + len(delimiter or "")]
                if not items or items[-1] != folder:
                    items.append(folder)
                following = successor(folder)
                if following is not None:
                    # Skip the rest of this virtual folder with one new query.
                    lower, done = following, False
                    break
            if len(items) > max_results:
                break
    if len(items) > max_results:
        extra = items[max_results]
        return BlobPage(items[:max_results], extra if isinstance(extra, str) else extra.name)
    return BlobPage(items, None)
