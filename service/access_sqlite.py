"""Accounts, audit and secrets in one SQLite file next to the embedded graph
(``access.sqlite``). Several processes may open it: writes take SQLite's write lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .access import AUDIT_FIELDS, AccessStore, Principal, now

__all__ = ["SqliteAccessStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    member_id TEXT,
    key_hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_subject ON audit(subject);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
"""


class SqliteAccessStore(AccessStore):
    """One connection behind a lock; ``BEGIN IMMEDIATE`` for writes, so other processes on
    the same file wait for each other instead of failing."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None,
                                   timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def _put_user(self, name: str, role: str, member_id: str | None, hashed: str,
                  replace: bool) -> bool:
        with self._tx() as db:
            exists = db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
            if exists and not replace:
                return False
            db.execute("INSERT OR REPLACE INTO users(name, role, member_id, key_hash, created) "
                       "VALUES (?, ?, ?, ?, ?)", (name, role, member_id, hashed, now()))
        return True

    def _by_key_hash(self, hashed: str) -> Principal | None:
        with self._lock:
            row = self._db.execute("SELECT name, role, member_id FROM users WHERE key_hash = ?",
                                   (hashed,)).fetchone()
        return Principal(row[0], row[1], row[2]) if row else None

    def users(self) -> list[Principal]:
        with self._lock:
            rows = self._db.execute("SELECT name, role, member_id FROM users ORDER BY name")
            return [Principal(*r) for r in rows.fetchall()]

    def remove_user(self, name: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0

    def remove_member_accounts(self, member_id: str) -> int:
        with self._tx() as db:
            return db.execute("DELETE FROM users WHERE member_id = ?", (member_id,)).rowcount

    def _add_audit(self, row: dict[str, str]) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO audit(at, who, action, subject, detail) VALUES (?,?,?,?,?)",
                       tuple(row[k] for k in AUDIT_FIELDS))

    def audit_rows(self, subject: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        sql = "SELECT at, who, action, subject, detail FROM audit"
        args: tuple[Any, ...] = ()
        if subject:
            sql += " WHERE subject = ?"
            args = (subject,)
        sql += " ORDER BY n DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, limit)).fetchall()
        return [dict(zip(AUDIT_FIELDS, r, strict=True)) for r in rows]

    def _get_or_create_secret(self, name: str, value: bytes) -> bytes:
        with self._tx() as db:  # the write lock: a racing process reads what we wrote
            db.execute("INSERT OR IGNORE INTO secrets(name, value) VALUES (?, ?)", (name, value))
            row = db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return bytes(row[0])


def saved_rows(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Accounts (with their key hashes) and audit rows (oldest first, with their number ``n``)
    of a file, read-only: to hand them to another adapter."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        users = [dict(r) for r in db.execute(
            "SELECT name, role, member_id, key_hash, created FROM users ORDER BY name")]
        audit = [dict(r) for r in db.execute(
            "SELECT n, at, who, action, subject, detail FROM audit ORDER BY n")]
    finally:
        db.close()
    return users, audit

