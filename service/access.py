"""Accounts, API keys and the audit log, in one SQLite file next to the graph.

Keys are 256 random bits, so a plain SHA-256 of the key is enough to store them (the same
choice GitHub and Stripe make for tokens); the key itself is shown once and never stored.
The audit log names members by id only, so erasing a member leaves no name behind here.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from schakel.errors import SchakelError
from schakel.graph.privacy import Viewer

__all__ = ["AccessStore", "Principal", "AccountError", "ROLES", "AccountRole"]

AccountRole = Literal["member", "staff", "admin"]
ROLES: tuple[str, ...] = AccountRole.__args__  # type: ignore[attr-defined]
_RANK = {role: n for n, role in enumerate(ROLES)}
KEY_PREFIX = "sk-"

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
"""


class AccountError(SchakelError):
    """An account cannot be created or changed as asked."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account name, its role and (for members) their member id."""

    user: str
    role: AccountRole
    member_id: str | None = None

    def can(self, role: str) -> bool:
        """Roles nest: an admin may do what staff may, staff what members may."""
        return _RANK[self.role] >= _RANK[role]

    @property
    def viewer(self) -> Viewer:
        """Which members' choices about visibility apply to this account."""
        return "staff" if self.can("staff") else "member"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AccessStore:
    """Users and audit rows. Thread-safe: one connection behind a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
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

    # -- users ----------------------------------------------------------------------------

    def add_user(self, name: str, role: str, member_id: str | None = None,
                 replace: bool = False) -> str:
        """Create an account (or give an existing one a new key with ``replace``) and return
        its new API key. The key is not stored; only its hash is.

        Raises
        ------
        AccountError : an unknown role, a bad name, a member account without a member id,
            or a name that exists (without ``replace``).
        """
        name = name.strip()
        if not name or len(name) > 100:
            raise AccountError("een accountnaam heeft 1 tot 100 tekens")
        if role not in ROLES:
            raise AccountError(f"onbekende rol {role!r}; kies uit {', '.join(ROLES)}")
        if role == "member" and not member_id:
            raise AccountError("een lidaccount hoort bij een lid: geef het lid-id op")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._tx() as db:
            exists = db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
            if exists and not replace:
                raise AccountError(f"account {name!r} bestaat al")
            db.execute("INSERT OR REPLACE INTO users(name, role, member_id, key_hash, created) "
                       "VALUES (?, ?, ?, ?, ?)", (name, role, member_id, _hash(key), _now()))
        return key

    def authenticate(self, key: str) -> Principal | None:
        """The account holding this key, or None."""
        with self._lock:
            row = self._db.execute("SELECT name, role, member_id FROM users WHERE key_hash = ?",
                                   (_hash(key),)).fetchone()
        return Principal(row[0], row[1], row[2]) if row else None

    def users(self) -> list[Principal]:
        with self._lock:
            rows = self._db.execute("SELECT name, role, member_id FROM users ORDER BY name")
            return [Principal(*r) for r in rows.fetchall()]

    def remove_user(self, name: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0

    def remove_member_accounts(self, member_id: str) -> int:
        """Accounts of an erased member stop working."""
        with self._tx() as db:
            return db.execute("DELETE FROM users WHERE member_id = ?", (member_id,)).rowcount

    # -- audit ----------------------------------------------------------------------------

    def audit(self, who: str, action: str, subject: str, detail: str = "") -> None:
        """Record that ``who`` read or changed personal data of ``subject`` (a member id)."""
        with self._tx() as db:
            db.execute("INSERT INTO audit(at, who, action, subject, detail) VALUES (?,?,?,?,?)",
                       (_now(), who, action, subject, detail))

    def audit_rows(self, subject: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        sql = "SELECT at, who, action, subject, detail FROM audit"
        args: tuple[Any, ...] = ()
        if subject:
            sql += " WHERE subject = ?"
            args = (subject,)
        sql += " ORDER BY n DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, limit)).fetchall()
        keys = ("at", "who", "action", "subject", "detail")
        return [dict(zip(keys, r, strict=True)) for r in rows]
