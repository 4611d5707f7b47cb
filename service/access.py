"""Accounts, API keys, the audit log and installation secrets: a small port, two adapters.

``open_access(settings)`` picks the adapter that goes with the graph store: the embedded
store keeps them in ``access.sqlite`` in the data dir (:mod:`.access_sqlite`), Neo4j in the
same database as the graph, on nodes of their own (:mod:`.access_neo4j`), so every worker
on one database sees the same accounts.

Keys are 256 random bits, so a plain SHA-256 of the key is enough to store them (the same
choice GitHub and Stripe make for tokens); the key itself is shown once and never stored.
The audit log names members by id only, so erasing a member leaves no name behind here.
"""

from __future__ import annotations

import hashlib
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from schakel.errors import SchakelError
from schakel.graph.privacy import Viewer

if TYPE_CHECKING:
    from schakel.graph.store import GraphStore

    from .config import Settings

__all__ = ["AccessStore", "Principal", "AccountError", "ROLES", "AccountRole", "open_access"]

AccountRole = Literal["member", "staff", "admin"]
ROLES: tuple[str, ...] = AccountRole.__args__  # type: ignore[attr-defined]
_RANK = {role: n for n, role in enumerate(ROLES)}
KEY_PREFIX = "sk-"
AUDIT_FIELDS = ("at", "who", "action", "subject", "detail")


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


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AccessStore(ABC):
    """Users, audit rows and secrets. Adapters are thread-safe and store only what the
    port hands them (hashes, never keys); the checks live here, once."""

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
        if not self._put_user(name, role, member_id, key_hash(key), replace):
            raise AccountError(f"account {name!r} bestaat al")
        return key

    def authenticate(self, key: str) -> Principal | None:
        """The account holding this key, or None."""
        return self._by_key_hash(key_hash(key))

    @abstractmethod
    def _put_user(self, name: str, role: str, member_id: str | None, hashed: str,
                  replace: bool) -> bool:
        """Store the account atomically; False if the name exists and ``replace`` is off."""

    @abstractmethod
    def _by_key_hash(self, hashed: str) -> Principal | None: ...

    @abstractmethod
    def users(self) -> list[Principal]:
        """All accounts, by name."""

    @abstractmethod
    def remove_user(self, name: str) -> bool: ...

    @abstractmethod
    def remove_member_accounts(self, member_id: str) -> int:
        """Accounts of an erased member stop working."""

    # -- audit ----------------------------------------------------------------------------

    def audit(self, who: str, action: str, subject: str, detail: str = "") -> None:
        """Record that ``who`` read or changed personal data of ``subject`` (a member id)."""
        self._add_audit({"at": now(), "who": who, "action": action, "subject": subject,
                         "detail": detail})

    @abstractmethod
    def _add_audit(self, row: dict[str, str]) -> None: ...

    @abstractmethod
    def audit_rows(self, subject: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """The newest rows first, each with the keys of ``AUDIT_FIELDS``."""

    # -- secrets --------------------------------------------------------------------------

    def secret(self, name: str, proposal: bytes | None = None) -> bytes:
        """The installation's secret ``name``, made on first use (``proposal`` or 32 random
        bytes). Atomic: two workers asking at once get the same secret."""
        return self._get_or_create_secret(name, proposal or secrets.token_bytes(32))

    @abstractmethod
    def _get_or_create_secret(self, name: str, value: bytes) -> bytes: ...

    @abstractmethod
    def close(self) -> None: ...


def open_access(settings: Settings, store: GraphStore | None = None) -> AccessStore:
    """The access store that goes with the configured graph store. With Neo4j it shares the
    driver of ``store`` when given one (one connection pool per process).

    Raises
    ------
    StoreError
        When Neo4j cannot be reached or refuses the credentials.
    """
    if settings.store == "neo4j":
        from .access_neo4j import Neo4jAccessStore  # the driver only when asked for

        return Neo4jAccessStore.for_settings(settings, store)
    from .access_sqlite import SqliteAccessStore

    return SqliteAccessStore(settings.access_path)
