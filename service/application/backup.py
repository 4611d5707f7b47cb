"""Backup and restore of the embedded store: the graph and the accounts (with the audit log
and secrets), copied page by page with SQLite's online backup API, so a running server
keeps answering and the copy is one consistent moment. The embedding cache is left out: it
holds nothing that is not in the graph."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from schakel.errors import BackupError

from ..config import Settings
from ..networks import KEPT_FILE

FILES = ("schakel.sqlite", "access.sqlite")


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # one consistent snapshot, while writers go on
        finally:
            dst.close()
    finally:
        src.close()


def backup(settings: Settings, target: Path) -> list[Path]:
    """Copy the data dir's store files into the folder ``target`` (made if missing; files
    already there are replaced). Returns the files written."""
    if settings.store != "local":
        raise BackupError("schakel backup is voor de ingebouwde opslag; maak bij Neo4j een "
                          "dump met neo4j-admin (zie de README).")
    if not settings.store_path.exists():
        raise BackupError(f"er is nog geen graaf in {settings.data_dir}")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FILES:
        source = settings.data_dir / name
        if source.exists():
            _copy(source, target / name)
            written.append(target / name)
    return written


def restore(settings: Settings, source: Path, *, force: bool = False) -> list[Path]:
    """Put a backup made by :func:`backup` back into the data dir. Refuses to overwrite a
    graph that holds members unless ``force``. Stop the server first: it would otherwise
    keep what it read before."""
    if settings.store != "local":
        raise BackupError("schakel restore is voor de ingebouwde opslag.")
    if not (source / FILES[0]).exists():
        raise BackupError(f"{source} bevat geen {FILES[0]}: geen backup van Schakel")
    _check(source / FILES[0])
    if settings.store_path.exists() and not force and _members(settings.store_path):
        raise BackupError(f"de graaf in {settings.data_dir} heeft al leden; gebruik --force "
                          "om hem te vervangen")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FILES:
        if (source / name).exists():
            _copy(source / name, settings.data_dir / name)
            written.append(settings.data_dir / name)
    # the network projection kept for the graph that was replaced belongs to another history
    (settings.data_dir / KEPT_FILE).unlink(missing_ok=True)
    return written


def _check(path: Path) -> None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = db.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path} is geen leesbare SQLite-database: {e}") from e
    if ok != "ok":
        raise BackupError(f"{path} is beschadigd: {ok}")


def _members(path: Path) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM nodes WHERE label = 'Member'").fetchone()[0])
    except sqlite3.DatabaseError:
        return 0
    finally:
        db.close()
