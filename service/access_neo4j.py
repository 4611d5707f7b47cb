"""Accounts, audit and secrets in the graph's Neo4j database, so every worker on it sees them.

They are nodes of their own labels (``:SchakelAccount``, ``:SchakelAudit``,
``:SchakelSecret``) without the model's ``:Node`` label and without relationships: the graph
store reads only ``:Node`` and the model's labels, so they never show up in its reads,
snapshot, counts or exports. Parameterised Cypher only.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from neo4j import Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import (
    ConstraintError,
    DriverError,
)

from schakel.errors import StoreError
from schakel.graph.neo4j import Neo4jGraphStore, driver_errors

from .access import AUDIT_FIELDS, AccessStore, Principal, now
from .access_sqlite import saved_rows

if TYPE_CHECKING:
    from schakel.graph.store import GraphStore

    from .config import Settings

__all__ = ["Neo4jAccessStore"]

T = TypeVar("T")
RACE_RETRIES = 5

SCHEMA = (
    "CREATE CONSTRAINT schakel_account_name IF NOT EXISTS "
    "FOR (a:SchakelAccount) REQUIRE a.name IS UNIQUE",
    "CREATE CONSTRAINT schakel_account_key IF NOT EXISTS "
    "FOR (a:SchakelAccount) REQUIRE a.key_hash IS UNIQUE",
    "CREATE CONSTRAINT schakel_secret_name IF NOT EXISTS "
    "FOR (s:SchakelSecret) REQUIRE s.name IS UNIQUE",
    "CREATE INDEX schakel_audit_subject IF NOT EXISTS FOR (a:SchakelAudit) ON (a.subject)",
)
ACCOUNT_EXISTS = "MATCH (a:SchakelAccount {name: $name}) RETURN count(a) AS n"
ACCOUNT_CREATE = ("CREATE (a:SchakelAccount {name: $name}) "
                  "SET a.role = $role, a.member_id = $member_id, a.key_hash = $hash, "
                  "a.created = $created")
ACCOUNT_REPLACE = ("MERGE (a:SchakelAccount {name: $name}) "
                   "SET a.role = $role, a.member_id = $member_id, a.key_hash = $hash, "
                   "a.created = $created")
ACCOUNT_BY_KEY = ("MATCH (a:SchakelAccount {key_hash: $hash}) "
                  "RETURN a.name AS name, a.role AS role, a.member_id AS member_id")
ACCOUNTS = ("MATCH (a:SchakelAccount) "
            "RETURN a.name AS name, a.role AS role, a.member_id AS member_id ORDER BY name")
ACCOUNT_DELETE = "MATCH (a:SchakelAccount {name: $name}) DELETE a RETURN count(*) AS n"
MEMBER_ACCOUNTS_DELETE = ("MATCH (a:SchakelAccount {member_id: $member_id}) DELETE a "
                          "RETURN count(*) AS n")
AUDIT_ADD = ("CREATE (a:SchakelAudit {ts: $ts, at: $at, who: $who, action: $action, "
             "subject: $subject, detail: $detail})")
AUDIT_ROWS = ("MATCH (a:SchakelAudit) RETURN a.at AS at, a.who AS who, a.action AS action, "
              "a.subject AS subject, a.detail AS detail ORDER BY a.ts DESC LIMIT $limit")
AUDIT_ROWS_OF = ("MATCH (a:SchakelAudit {subject: $subject}) RETURN a.at AS at, a.who AS who, "
                 "a.action AS action, a.subject AS subject, a.detail AS detail "
                 "ORDER BY a.ts DESC LIMIT $limit")
ADOPT_ACCOUNTS = ("UNWIND $rows AS row MERGE (a:SchakelAccount {name: row.name}) "
                  "ON CREATE SET a.role = row.role, a.member_id = row.member_id, "
                  "a.key_hash = row.key_hash, a.created = row.created")
ADOPT_AUDIT = ("UNWIND $rows AS row CREATE (a:SchakelAudit) SET a.ts = row.n, a.at = row.at, "
               "a.who = row.who, a.action = row.action, a.subject = row.subject, "
               "a.detail = row.detail")
SECRET_READ = "MATCH (s:SchakelSecret {name: $name}) RETURN s.value AS value"
ADOPTED = "access.sqlite overgenomen"  # marks that the file's rows were copied (once)
BATCH = 1000
# Hex text, not bytes: every Bolt server stores strings the same way.
SECRET = ("MERGE (s:SchakelSecret {name: $name}) ON CREATE SET s.value = $value "
          "RETURN s.value AS value")


class Neo4jAccessStore(AccessStore):
    """The port over the official driver; errors come out as :class:`StoreError` with the
    same Dutch messages as the graph store's."""

    def __init__(self, driver: Driver, database: str | None, uri: str,
                 own_driver: bool = True) -> None:
        self._driver = driver
        self.database = database or None
        self.uri = uri
        self._own = own_driver
        try:
            for statement in SCHEMA:
                self._write(lambda tx, q=statement: tx.run(q).consume())
        except BaseException:
            self.close()
            raise

    @classmethod
    def for_settings(cls, settings: Settings, store: GraphStore | None = None
                     ) -> Neo4jAccessStore:
        """On the graph store's driver when there is one, else a driver of its own."""
        driver = store.driver if isinstance(store, Neo4jGraphStore) else None
        if driver is not None:  # share the pool; the store closes it
            access = cls(driver, getattr(store, "database", None), getattr(store, "uri", ""),
                         own_driver=False)
        else:
            access = cls(cls._connect(settings), settings.neo4j_database, settings.neo4j_uri)
        if settings.access_path.is_file():
            access.adopt(settings.access_path)
        return access

    @staticmethod
    def _connect(settings: Settings) -> Driver:
        uri = settings.neo4j_uri
        try:
            return GraphDatabase.driver(
                uri, auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
                max_transaction_retry_time=5.0, connection_timeout=5.0,
                connection_acquisition_timeout=30.0)
        except (ValueError, DriverError) as e:
            raise StoreError(f"ongeldig Neo4j-adres {uri!r}: {e}") from e

    def close(self) -> None:
        if self._own:
            self._driver.close()

    def adopt(self, path: Path) -> bool:
        """Copy the accounts and audit log of an ``access.sqlite`` from before (Schakel kept
        them there also with Neo4j), once: the worker that sets the marker copies, in the
        same transaction, so keys in use keep working and no row is copied twice."""
        if self._read(lambda tx: tx.run(SECRET_READ, name=ADOPTED).single()) is not None:
            return False
        users, audit = saved_rows(path)
        claim = secrets.token_hex(16)

        def copy(tx: ManagedTransaction) -> bool:
            if tx.run(SECRET, name=ADOPTED, value=claim).single(strict=True)["value"] != claim:
                return False  # another worker copied them
            for i in range(0, len(users), BATCH):
                tx.run(ADOPT_ACCOUNTS, rows=users[i : i + BATCH]).consume()
            for i in range(0, len(audit), BATCH):  # numbered 1, 2, …: older than any new row
                tx.run(ADOPT_AUDIT, rows=audit[i : i + BATCH]).consume()
            return True

        return self._merge(copy)

    # -- plumbing ----------------------------------------------------------------------------

    def _run(self, mode: str, work: Callable[[ManagedTransaction], T]) -> T:
        def run() -> T:
            # The driver's shared bookmarks: in a cluster a read sees this process's writes.
            with self._driver.session(
                    database=self.database,
                    bookmark_manager=self._driver.execute_query_bookmark_manager) as session:
                return (session.execute_write if mode == "w" else session.execute_read)(work)

        # A uniqueness race passes: the callers decide what it means.
        return driver_errors(self.uri, run, keep=(ConstraintError,))

    def _write(self, work: Callable[[ManagedTransaction], T]) -> T:
        return self._run("w", work)

    def _read(self, work: Callable[[ManagedTransaction], T]) -> T:
        return self._run("r", work)

    def _merge(self, work: Callable[[ManagedTransaction], T]) -> T:
        """A MERGE on a key another writer may create at the same moment: some Bolt servers
        raise ConstraintError there instead of waiting; the next try finds the node."""
        for attempt in range(RACE_RETRIES):
            try:
                return self._write(work)
            except ConstraintError:
                if attempt == RACE_RETRIES - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    # -- users -------------------------------------------------------------------------------

    def _put_user(self, name: str, role: str, member_id: str | None, hashed: str,
                  replace: bool) -> bool:
        params = {"name": name, "role": role, "member_id": member_id, "hash": hashed,
                  "created": now()}
        if replace:
            self._merge(lambda tx: tx.run(ACCOUNT_REPLACE, params).consume())
            return True

        def create(tx: ManagedTransaction) -> bool:
            if tx.run(ACCOUNT_EXISTS, name=name).single(strict=True)["n"]:
                return False
            tx.run(ACCOUNT_CREATE, params).consume()
            return True

        try:
            return self._write(create)
        except ConstraintError:  # made by another process just now
            return False

    def _by_key_hash(self, hashed: str) -> Principal | None:
        record = self._read(lambda tx: tx.run(ACCOUNT_BY_KEY, hash=hashed).single())
        return Principal(record["name"], record["role"], record["member_id"]) if record else None

    def users(self) -> list[Principal]:
        rows = self._read(lambda tx: [(r["name"], r["role"], r["member_id"])
                                      for r in tx.run(ACCOUNTS)])
        return [Principal(*r) for r in rows]

    def remove_user(self, name: str) -> bool:
        n = self._write(lambda tx: tx.run(ACCOUNT_DELETE, name=name).single(strict=True)["n"])
        return int(n) > 0

    def remove_member_accounts(self, member_id: str) -> int:
        return int(self._write(lambda tx: tx.run(MEMBER_ACCOUNTS_DELETE, member_id=member_id)
                               .single(strict=True)["n"]))

    # -- audit -------------------------------------------------------------------------------

    def _add_audit(self, row: dict[str, str]) -> None:
        # Nanoseconds order the rows across processes without a shared counter to contend on.
        self._write(lambda tx: tx.run(AUDIT_ADD, ts=time.time_ns(), **row).consume())

    def audit_rows(self, subject: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        query, params = (AUDIT_ROWS_OF, {"subject": subject}) if subject else (AUDIT_ROWS, {})
        return self._read(lambda tx: [{k: r[k] for k in AUDIT_FIELDS}
                                      for r in tx.run(query, limit=limit, **params)])

    # -- secrets -----------------------------------------------------------------------------

    def _get_or_create_secret(self, name: str, value: bytes) -> bytes:
        stored = self._merge(lambda tx: tx.run(SECRET, name=name, value=value.hex())
                             .single(strict=True)["value"])
        return bytes.fromhex(stored)
