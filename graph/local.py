"""The embedded store: SQLite (WAL) is the source of truth, a compact mirror in memory
(graph/mirror.py) answers reads.

Every write is one SQLite transaction; the mirror is changed only after the commit, so a
failed write leaves both untouched. Reopening the file rebuilds the mirror from SQLite.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx

from schakel.errors import StoreError

from .bulk import no_cyclic_gc
from .changes import ChangeSet, RelKey
from .mirror import Mirror
from .model import Node
from .store import FEED_KEEP, GraphStore, RawNode

__all__ = ["LocalGraphStore"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    props TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_label ON nodes(label);
CREATE TABLE IF NOT EXISTS rels (
    src TEXT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    dst TEXT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    props TEXT NOT NULL,
    PRIMARY KEY (src, type, dst)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rels_dst ON rels(dst, type);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    payload TEXT NOT NULL
);
"""
_UPSERT_NODE = (
    "INSERT INTO nodes (id, label, props) VALUES (?, ?, ?) "
    "ON CONFLICT(id) DO UPDATE SET props = excluded.props"
)
_UPSERT_REL = (
    "INSERT INTO rels (src, type, dst, props) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(src, type, dst) DO UPDATE SET props = excluded.props"
)


def _dumps(props: dict[str, Any]) -> str:
    return json.dumps(props, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class LocalGraphStore(GraphStore):
    """Embedded graph store in one SQLite file.

    Parameters
    ----------
    path : file path of the database, created when missing.
    sync_interval : seconds between checks for writes by other processes (0: every read).
    busy_timeout : seconds a write waits for another process's write to finish.
    """

    def __init__(self, path: str | Path, *, sync_interval: float = 0.1,
                 busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.sync_interval = sync_interval
        self._checked = 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by FastAPI's worker threads, guarded by one lock.
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                       timeout=busy_timeout)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # After a checkpoint, shrink the WAL file back instead of keeping its peak size.
            self._db.execute("PRAGMA journal_size_limit=16777216")
            self._db.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros, so an erased member is not left in
            # free pages of the file (AVG).
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
            )
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) "
                             "VALUES ('store_id', lower(hex(randomblob(16))))")
            self._store_id = str(self._db.execute(
                "SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0])
        except sqlite3.DatabaseError as e:
            raise StoreError(f"kan de database {self.path} niet openen: {e}") from e
        self._mirror = Mirror()
        self._seq = 0  # the feed position the mirror reflects
        self._pending_seq = 0  # the position of the write in progress
        self._frozen: tuple[int, nx.MultiDiGraph] | None = None
        self._data_version = -1
        self._mirror_changes: list[Callable[[], None]] = []
        with self._lock:
            self._load()

    def _external_version(self) -> int:
        # Changes only when *another* connection (say `schakel import` while the server
        # runs) commits: then the mirror is stale.
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Hold the lock, and first catch up with writes made by other processes."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self.sync_interval:
                self._checked = now
                if self._external_version() != self._data_version:
                    self._catch_up()
            yield

    def _catch_up(self) -> None:
        """Apply what other processes committed, from the change feed: re-read only the
        nodes and relationships they touched. Reload everything only when the feed no
        longer reaches back to the mirror's position."""
        outer = self._db.in_transaction
        if not outer:
            self._db.execute("BEGIN")  # the feed and the rows it names, read as one
        try:
            changes = self._feed_since(self._seq)
            if changes is None:
                logger.info("change feed does not reach back: reloading %s", self.path)
                self._load()
                return
            if changes:
                merged = ChangeSet.merge(changes)
                self._patch(merged)
                self._seq = max(self._seq, merged.seq)
            self._data_version = self._external_version()
        finally:
            if not outer:
                self._db.execute("COMMIT")

    def _patch(self, changes: ChangeSet) -> None:
        """Bring the touched nodes and relationships of the mirror in line with SQLite."""
        m = self._mirror
        ids = sorted(changes.all_ids() | changes.starts() | changes.ends())
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            marks = ",".join("?" * len(part))
            for node_id, label, props in self._db.execute(
                    f"SELECT id, label, props FROM nodes WHERE id IN ({marks})", part):
                found[node_id] = (label, json.loads(props))
        for node_id, (label, props) in found.items():
            m.put_node(node_id, label, props)
        for start, rel_type, end in sorted(changes.rel_keys()):
            row = self._db.execute("SELECT props FROM rels WHERE src = ? AND type = ? AND dst = ?",
                                   (start, rel_type, end)).fetchone()
            if row is not None and start in found and end in m:
                m.put_edge(start, rel_type, end, json.loads(row[0]))
            elif row is None:
                m.drop_edge(start, rel_type, end)
        for i in changes.all_ids():
            if i not in found and i in m:
                m.drop_node(i)
        self._frozen = None

    def _head(self) -> int:
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'"
                               ).fetchone()
        return int(row[0]) if row else 0

    def _feed_since(self, seq: int) -> list[ChangeSet] | None:
        floor = self._db.execute("SELECT value FROM meta WHERE key = 'feed_floor'").fetchone()
        if seq > self._head() or (floor is not None and seq < int(floor[0])):
            return None
        return [ChangeSet.from_json(n, text) for n, text in self._db.execute(
            "SELECT seq, payload FROM changes WHERE seq > ? ORDER BY seq", (seq,))]

    def _changes_since(self, seq: int) -> list[ChangeSet] | None:
        # Only what the mirror has applied: a read model re-reads what a change touched from
        # this store, so handing it a change the mirror has not seen would lose the change.
        with self._lock:
            if self._db.in_transaction:  # a write's view: the mirror caught up at BEGIN
                feed = self._feed_since(seq)
            else:
                self._db.execute("BEGIN")
                try:
                    if self._external_version() != self._data_version:
                        self._catch_up()
                    feed = self._feed_since(seq)
                finally:
                    self._db.execute("COMMIT")
            return None if feed is None else [c for c in feed if c.seq <= self._seq]

    def _record(self, changes: ChangeSet) -> int:
        seq = int(self._db.execute("INSERT INTO changes (payload) VALUES (?)",
                                   (changes.to_json(),)).lastrowid or 0)
        if seq % 1000 == 0 and seq > FEED_KEEP:  # keep the feed from growing without end
            floor = seq - FEED_KEEP
            self._db.execute("DELETE FROM changes WHERE seq <= ?", (floor,))
            self._db.execute("INSERT INTO meta (key, value) VALUES ('feed_floor', ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (floor,))
        self._pending_seq = seq
        return seq

    def _load(self) -> None:
        self._mirror = Mirror()
        with no_cyclic_gc():
            outer = self._db.in_transaction  # inside a write: already consistent
            if not outer:
                self._db.execute("BEGIN")  # one consistent read of both tables
            try:
                self._fill_mirror()
                self._seq = self._head()
                self._data_version = self._external_version()
            finally:
                if not outer:
                    self._db.execute("COMMIT")
        self._frozen = None

    def _fill_mirror(self) -> None:
        m = self._mirror
        for node_id, label, props in self._db.execute("SELECT id, label, props FROM nodes"):
            m.put_node(node_id, label, json.loads(props))
        # SQLite groups the relationships per (start, type) and per (end, type) and joins
        # the ids into one text: a million rows cost seconds of per-row Python otherwise.
        # Property texts repeat a lot ({"level":2}, ...): each is parsed once and shared.
        parsed: dict[str, dict[str, Any]] = {}

        def props_of(texts: str | None) -> list[dict[str, Any]] | None:
            if texts is None:
                return None
            found = []
            for text in texts.split("\x1e"):
                props = parsed.get(text)
                if props is None:
                    props = parsed[text] = json.loads(text)
                found.append(props)
            return found

        outgoing = (
            (rel_type, src, ends.split(" "), props_of(texts))
            for rel_type, src, ends, texts in self._db.execute(
                "SELECT type, src, group_concat(dst, ' '), "
                "CASE WHEN max(props <> '{}') THEN group_concat(props, char(30)) END "
                "FROM rels GROUP BY src, type"))
        incoming = ((rel_type, dst, starts.split(" ")) for rel_type, dst, starts in
                    self._db.execute("SELECT type, dst, group_concat(src, ' ') "
                                     "FROM rels GROUP BY dst, type"))
        m.load_grouped(outgoing, incoming)
        logger.debug("loaded %s nodes and %s relationships", len(m), m.rel_counts.total())

    @property
    def version(self) -> int:
        """The feed position of the newest write this process has applied to its mirror."""
        with self._reading():
            return self._seq

    def _identity(self) -> str:
        return f"sqlite:{self._store_id}"

    # -- writes ----------------------------------------------------------------------------
    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Lock, then BEGIN IMMEDIATE (SQLite's write lock: no other process writes until we
        are done), catch up with what others committed, run the body, COMMIT, and only then
        apply the body's changes to the mirror, so a failed write leaves both untouched."""
        with self._lock:
            if self._db.in_transaction:  # nested: the outer block commits
                yield
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise StoreError(f"de graaf is bezet of niet schrijfbaar; niets opgeslagen ({e})"
                                 ) from e
            self._mirror_changes = []
            self._pending_seq = 0
            try:
                if self._external_version() != self._data_version:
                    self._catch_up()
                yield
                self._db.execute("COMMIT")
            except BaseException as e:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                self._mirror_changes = []
                if isinstance(e, sqlite3.Error):
                    raise StoreError(f"schrijven mislukt, niets opgeslagen: {e}") from e
                raise
            changes, self._mirror_changes = self._mirror_changes, []
            for change in changes:
                change()
            if self._pending_seq:
                self._seq = self._pending_seq
                self._frozen = None

    def _write(self, nodes: list[Node], rels: list[tuple[str, str, str, dict[str, Any]]],
               replace: list[tuple[str, str]]) -> list[RelKey]:
        node_rows = [(n.id, n.label, n.props()) for n in nodes]
        removed = self._sql_write(self._db.cursor(), node_rows, rels, replace)
        self._mirror_changes.append(lambda: self._apply(node_rows, rels, replace))
        return removed

    def _apply(self, node_rows: list[tuple[str, str, dict[str, Any]]],
               rels: list[tuple[str, str, str, dict[str, Any]]],
               replace: list[tuple[str, str]]) -> None:
        m = self._mirror
        for start, rel_type in replace:
            m.drop_out(start, rel_type)
        for node_id, label, props in node_rows:
            m.put_node(node_id, label, props)
        for start, rel_type, end, props in rels:
            m.put_edge(start, rel_type, end, props)

    @staticmethod
    def _sql_write(cur: sqlite3.Cursor, node_rows: list[tuple[str, str, dict[str, Any]]],
                   rels: list[tuple[str, str, str, dict[str, Any]]],
                   replace: list[tuple[str, str]]) -> list[RelKey]:
        removed: list[RelKey] = []
        for start, rel_type in replace:
            removed += [(start, rel_type, end) for (end,) in cur.execute(
                "DELETE FROM rels WHERE src = ? AND type = ? RETURNING dst", (start, rel_type)
            ).fetchall()]
        cur.executemany(_UPSERT_NODE, ((i, lbl, _dumps(p)) for i, lbl, p in node_rows))
        texts: dict[tuple[Any, ...], str] = {}  # relationship props repeat: encode each once

        def text(props: dict[str, Any]) -> str:
            try:
                key = tuple(sorted(props.items()))
            except TypeError:  # an unhashable value such as a list
                return _dumps(props)
            found = texts.get(key)
            if found is None:
                found = texts[key] = _dumps(props)
            return found

        cur.executemany(_UPSERT_REL, ((s, t, e, text(p)) for s, t, e, p in rels))
        return removed

    def _delete(self, ids: list[str]) -> tuple[dict[str, list[str]], list[RelKey]]:
        with self._writing():
            m = self._mirror
            present = [i for i in ids if i in m]
            removed: dict[str, list[str]] = defaultdict(list)
            rels: set[RelKey] = set()
            for i in present:
                removed[m.label(i)].append(i)
                rels.update((s, t, e) for s, t, e, _ in m.out_of(i, None))
                rels.update((s, t, e) for s, t, e, _ in m.into_of(i, None))
            if present:
                # Relationships go by ON DELETE CASCADE.
                self._db.executemany("DELETE FROM nodes WHERE id = ?", ((i,) for i in present))
                self._mirror_changes.append(lambda: self._drop_nodes(present))
        return dict(removed), sorted(rels)

    def _drop_nodes(self, ids: list[str]) -> None:
        for node_id in ids:
            self._mirror.drop_node(node_id)

    def _delete_relationships(self, keys: list[RelKey]) -> list[RelKey]:
        with self._writing():
            present = [k for k in keys if self._mirror.has_edge(*k)]
            if present:
                self._db.executemany(
                    "DELETE FROM rels WHERE src = ? AND type = ? AND dst = ?", present)
                self._mirror_changes.append(lambda: self._drop_relationships(present))
        return present

    def _drop_relationships(self, keys: list[tuple[str, str, str]]) -> None:
        for key in keys:
            self._mirror.drop_edge(*key)

    # -- reads (from the mirror) -----------------------------------------------------------
    def _get(self, node_id: str) -> RawNode | None:
        with self._reading():
            m = self._mirror
            return m.raw(node_id) if node_id in m else None

    def _get_many(self, ids: list[str]) -> list[RawNode]:
        with self._reading():
            m = self._mirror
            return [m.raw(i) for i in ids if i in m]

    def _labels_of(self, ids: list[str]) -> dict[str, str]:
        with self._reading():
            nodes = self._mirror.nodes  # after _reading: a reload replaces the mirror
            return {i: nodes[i][1] for i in ids if i in nodes}

    def _find(self, label: str, props: dict[str, Any]) -> list[RawNode]:
        with self._reading():
            m = self._mirror
            ids = sorted(i for i in m.by_label.get(label, ()) if m.matches(i, props))
            return [m.raw(i) for i in ids]

    def _ids(self, label: str) -> list[str]:
        with self._reading():
            return sorted(self._mirror.by_label.get(label, ()))

    def _neighbour_ids(self, node_id: str, type: str | None, direction: str) -> list[str]:
        with self._reading():
            return self._mirror.neighbour_ids(node_id, type, direction)

    def _relationships(self, node_id: str | None, type: str | None,
                       direction: str) -> Iterable[tuple[str, str, str, dict[str, Any]]]:
        with self._reading():
            m = self._mirror
            if node_id is None:
                return [(s, t, e, p) for t in ([type] if type else m.types())
                        for s, e, p in m.edges(t)]
            if node_id not in m:
                return []
            found = []
            if direction in ("out", "both"):
                found += m.out_of(node_id, type)
            if direction in ("in", "both"):
                found += m.into_of(node_id, type)
            return found

    def _edges(self, types: list[str]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
        with self._reading():
            return {t: self._mirror.edges(t) for t in types}

    def _count(self, label: str | None) -> int:
        with self._reading():
            m = self._mirror
            return len(m) if label is None else len(m.by_label.get(label, ()))

    def _count_relationships(self, type: str | None) -> int:
        with self._reading():
            counts = self._mirror.rel_counts
            return counts.total() if type is None else counts.get(type, 0)

    def _snapshot(self) -> nx.MultiDiGraph:
        """Built from the mirror when asked (analytics and the CLI; the server's read models
        read in bulk instead), and kept until the next write."""
        with self._reading():
            if self._frozen is None or self._frozen[0] != self._seq:
                self._frozen = None  # let the old copy go before building the next
                self._frozen = (self._seq, nx.freeze(self._mirror.to_networkx()))
            return self._frozen[1]

    def scrub(self) -> None:
        """Copy the WAL into the (zeroing) main file and empty it: no old page images stay."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error:  # pragma: no cover - closing twice is harmless
                pass

