"""The Neo4j store: the same port as the embedded store, over the official Bolt driver.

Writes run in managed transactions (``execute_write``, retried on transient errors and on a
uniqueness race between two writers creating the same id) and are validated inside them.
Each write first bumps the counter on the one ``:SchakelMeta`` node: that serialises writers
in Neo4j and gives :attr:`version`, which changes on every write by any process. Reads are
cached per version, so a page that asks for the same theme fifty times asks Neo4j once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import networkx as nx
from neo4j import Driver, GraphDatabase, ManagedTransaction, Session
from neo4j.exceptions import (
    AuthError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from schakel.errors import StoreError, StoreUnavailableError, WriteConflictError

from . import neo4j_queries as Q
from .changes import ChangeSet, RelKey
from .model import NODE_MODELS, REL_SCHEMA, Node
from .neo4j_away import away
from .neo4j_cache import ReadCache, Rel
from .neo4j_write import Labelling, chunks, relabel, write_nodes
from .store import FEED_KEEP, GraphStore, RawNode

__all__ = ["Neo4jGraphStore", "driver_errors"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
META_ID = "schakel"
RACE_RETRIES = 12  # a busy server (an import beside the workers) can refuse a few in a row
SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
# Model fields whose default is None: Neo4j does not store nulls, so reads put them back.
_NULLS = {label: {f: None for f, info in model.model_fields.items()
                  if f != "id" and info.default is None and not info.is_required()}
          for label, model in NODE_MODELS.items()}


def _raw(node_id: str, label: str, props: dict[str, Any]) -> RawNode:
    out = {**_NULLS[label], **props}
    out.pop("id", None)
    return node_id, label, out


def _main_label(labels: Iterable[str]) -> str | None:
    return next((lbl for lbl in labels if lbl in NODE_MODELS), None)


def _bump(tx: ManagedTransaction) -> int:
    """Increment the write counter; first in a write, so Neo4j serialises writers here."""
    record = tx.run(Q.META_BUMP, id=META_ID, start=_now_ms()).single(strict=True)
    return int(record["version"])


def _now_ms() -> int:
    # Where the counter starts: a wiped database never repeats a version seen before.
    return int(time.time() * 1000)


def _unavailable(uri: str, e: Exception | str) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"Neo4j is niet bereikbaar op {uri}; probeer het later opnieuw ({e})")


def driver_errors(uri: str, fn: Callable[[], T], *,
                  keep: tuple[type[BaseException], ...] = ()) -> T:
    """Run ``fn``, turning the driver's errors into :class:`StoreError` with a Dutch message
    (errors of the types in ``keep`` pass unchanged: the caller decides what they mean).
    A server found away makes the next calls fail at once for a moment (see neo4j_away)."""
    server = away(uri)
    if not server.enter():
        raise _unavailable(uri, "net nog niet bereikbaar gebleken")
    reached = True
    try:
        return fn()
    except keep:
        raise
    except AuthError as e:
        raise StoreError(f"Neo4j op {uri} weigert de gebruiker of het wachtwoord "
                         f"(SCHAKEL_NEO4J_USER/SCHAKEL_NEO4J_PASSWORD): {e}") from e
    except (ServiceUnavailable, SessionExpired, OSError) as e:
        reached = False
        raise _unavailable(uri, e) from e
    except (Neo4jError, DriverError) as e:
        raise StoreError(f"Neo4j-fout: {e}") from e
    finally:
        if reached:
            server.answered()
        else:
            server.gone()


class Neo4jGraphStore(GraphStore):
    """Graph store in a Neo4j 5 database (or another Bolt server that speaks openCypher).

    Parameters
    ----------
    uri : ``neo4j://``, ``neo4j+s://`` (Aura, a cluster: routing) or ``bolt://`` address.
    user, password : credentials.
    database : database name; None for the server's default.
    sync_interval : seconds between checks for writes by other processes.
    retry_time : seconds the driver keeps retrying a transaction on transient errors.

    Raises
    ------
    StoreError
        When the server cannot be reached or refuses the credentials.
    """

    def __init__(self, uri: str, user: str, password: str, database: str | None = None, *,
                 sync_interval: float = 0.1, retry_time: float = 5.0) -> None:
        self.uri = uri
        self.database = database or None
        self.sync_interval = sync_interval
        self._local = threading.local()
        self._lock = threading.RLock()
        self._checked = 0.0
        self._version = 0
        self._store_id = ""
        self._frozen: tuple[int, nx.MultiDiGraph] | None = None
        self._cache = ReadCache()
        if uri.split("://", 1)[0] not in SCHEMES:
            raise StoreError(f"ongeldig Neo4j-adres {uri!r}: begin met {', '.join(SCHEMES)}")
        try:
            self._driver: Driver = GraphDatabase.driver(
                uri, auth=(user, password), max_transaction_retry_time=retry_time,
                connection_timeout=min(retry_time, 10.0), connection_acquisition_timeout=30.0)
        except (ValueError, DriverError) as e:
            raise StoreError(f"ongeldig Neo4j-adres {uri!r}: {e}") from e
        try:
            self._ensure_schema()
        except BaseException:
            self._driver.close()
            raise

    # -- plumbing ----------------------------------------------------------------------------
    def _errors(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, turning driver errors into :class:`StoreError`."""
        return driver_errors(self.uri, fn)

    @property
    def driver(self) -> Driver:
        """The driver (its connection pool), for other stores on the same database, such as
        the accounts; this store closes it."""
        return self._driver

    def _session(self, mode: str) -> Session:
        # One bookmark manager for all sessions: in a cluster, a read sees earlier writes.
        return self._driver.session(database=self.database, default_access_mode=mode,
                                    bookmark_manager=self._driver.execute_query_bookmark_manager)

    def _read(self, work: Callable[[ManagedTransaction], T]) -> T:
        tx = getattr(self._local, "tx", None)
        if tx is not None:  # inside a write: read what the transaction sees
            return work(tx)

        def run() -> T:
            with self._session("READ") as session:
                return session.execute_read(work)

        return self._errors(run)

    def _run_write(self, work: Callable[[], T]) -> T:
        """Bump the counter, run ``work`` in the same managed transaction, then drop the
        caches; retried as a whole on transient errors and on a uniqueness race."""
        if getattr(self._local, "tx", None) is not None:  # nested: the outer write commits
            return work()

        def unit(tx: ManagedTransaction) -> tuple[T, int]:
            self._local.tx, self._local.later = tx, None
            self._local.touched, self._local.written = set(), defaultdict(set)
            self._local.recorded = False
            try:
                self._local.seq = _bump(tx)
                result = work()
                return result, self._local.seq
            finally:
                self._local.tx = None

        def run() -> tuple[T, int]:
            with self._session("WRITE") as session:
                return session.execute_write(unit)

        for attempt in range(RACE_RETRIES):
            try:
                result, version = self._errors(lambda: self._retry_race(run))
                break
            except _Race:
                # Another writer created the same id (or bumped the counter) at the same
                # moment: run it again, validation then sees the other node. Backing off with
                # jitter keeps two retrying writers from meeting again.
                time.sleep(min(0.5, 0.02 * 2 ** attempt) * random.uniform(0.5, 1.5))
        else:
            raise WriteConflictError(
                "een andere schrijver gebruikte dezelfde id's; niets opgeslagen")
        later, self._local.later = self._local.later, None
        if later:
            version = self._errors(lambda: self._add_labels(later))
        touched, written = self._local.touched, self._local.written
        with self._lock:
            if touched is not None and version - (2 if later else 1) <= self._version:
                self._cache = self._cache.without(touched, written)  # only we wrote
            else:
                self._cache = ReadCache()
            self._version = max(self._version, version)
            self._checked = time.monotonic()
        return result

    def _add_labels(self, later: Labelling) -> int:
        def unit(tx: ManagedTransaction) -> int:
            version = _bump(tx)
            relabel(tx, Q.LABELS_ADD, later)
            return version

        with self._session("WRITE") as session:
            return session.execute_write(unit)

    @staticmethod
    def _retry_race(run: Callable[[], T]) -> T:
        try:
            return run()
        except ConstraintError as e:
            raise _Race() from e

    def _ensure_schema(self) -> None:
        """Uniqueness constraints on ``id`` for every label (before any load), and the
        counter node."""
        def run() -> None:
            self._driver.verify_connectivity()
            for label in (Q.BASE, Q.META, Q.CHANGE, *NODE_MODELS):
                query = Q.cypher(Q.CONSTRAINT, label=label, name=f"schakel_{label.lower()}_id")
                self._driver.execute_query(query, database_=self.database)
            self._driver.execute_query(Q.CHANGE_INDEX, database_=self.database)
            start = _now_ms()
            for attempt in range(RACE_RETRIES):
                try:
                    records, _, _ = self._driver.execute_query(
                        Q.META_INIT, id=META_ID, start=start, store_id=uuid.uuid4().hex,
                        database_=self.database)
                    break
                except ConstraintError:  # another process created it at the same moment
                    if attempt == RACE_RETRIES - 1:
                        raise
            self._version = int(records[0]["version"])
            self._store_id = str(records[0]["store_id"])

        self._errors(run)
        self._checked = time.monotonic()

    # -- version and caches ------------------------------------------------------------------
    def _sync(self) -> ReadCache:
        """At most every ``sync_interval`` seconds, read the counter; when it moved (another
        process wrote), forget what the change feed says those writes touched. Inside a
        write transaction nothing cached is trusted: reads there see the latest state."""
        if getattr(self._local, "tx", None) is not None:
            return ReadCache()
        now = time.monotonic()
        if now - self._checked < self.sync_interval:
            return self._cache
        records = self._read(lambda tx: tx.run(Q.META_READ, id=META_ID).data())
        with self._lock:
            self._checked = now
            if not records:  # the database was wiped under us: trust nothing cached
                self._cache = ReadCache()
            elif (version := int(records[0]["version"])) > self._version:  # never back
                changes = self._read_feed(self._version)
                if changes is None:
                    self._cache = ReadCache()
                else:
                    self._cache = self._cache.after(ChangeSet.merge(changes))
                self._version = version
            return self._cache

    # -- the change feed ---------------------------------------------------------------------
    def _record(self, changes: ChangeSet) -> int:
        tx = self._tx()
        if self._local.recorded:  # a second change in one transaction gets its own position
            self._local.seq = _bump(tx)
        self._local.recorded = True
        seq = int(self._local.seq)
        tx.run(Q.CHANGE_CREATE, id=f"change-{seq}", seq=seq, payload=changes.to_json()).consume()
        if seq % 1000 == 0:  # keep the feed from growing without end
            tx.run(Q.CHANGES_PRUNE, floor=seq - FEED_KEEP, id=META_ID).consume()
        return seq

    def _changes_since(self, seq: int) -> list[ChangeSet] | None:
        """The feed after ``seq``; the read caches first forget what those changes touched,
        so a read model that re-reads them gets what the changes wrote."""
        changes = self._read_feed(seq)
        if changes and getattr(self._local, "tx", None) is None:
            with self._lock:
                newer = [c for c in changes if c.seq > self._version]
                if newer:
                    self._cache = self._cache.after(ChangeSet.merge(newer))
                    self._version = newer[-1].seq
        return changes

    def _read_feed(self, seq: int) -> list[ChangeSet] | None:
        def read(tx: ManagedTransaction) -> list[ChangeSet] | None:
            meta = tx.run(Q.META_READ, id=META_ID).single()
            if meta is None:
                return None
            head, floor = int(meta["version"]), meta["floor"]
            if seq > head or (floor is not None and seq < int(floor)):
                return None
            if seq == head:
                return []
            return [ChangeSet.from_json(int(r["seq"]), r["payload"])
                    for r in tx.run(Q.CHANGES_SINCE, seq=seq)]

        return self._read(read)

    def _identity(self) -> str:
        # The database's own id: a wiped database (its counter node made again) is another
        return f"neo4j:{self._store_id}" if self._store_id else ""

    @property
    def version(self) -> int:
        """The write counter in the database: changes with every write by any process."""
        self._sync()
        return self._version

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        cache = self._sync()
        hit = cache.misc.get(key, _MISSING)
        if hit is _MISSING:
            hit = cache.misc[key] = compute()
        return hit  # type: ignore[no-any-return]

    def _touch(self, ids: Iterable[str], nodes: Iterable[Node] = ()) -> None:
        self._local.touched.update(ids)
        for node in nodes:
            self._local.written[node.label].add(node.id)

    def _touch_all(self) -> None:
        self._local.touched = None

    # -- writes ------------------------------------------------------------------------------
    def _atomically(self, work: Callable[[], T]) -> T:
        return self._run_write(work)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if getattr(self._local, "tx", None) is None:
            raise RuntimeError("Neo4jGraphStore writes go through _atomically")
        yield

    def _tx(self) -> ManagedTransaction:
        return self._local.tx  # type: ignore[no-any-return]

    def _write(self, nodes: list[Node], rels: list[tuple[str, str, str, dict[str, Any]]],
               replace: list[tuple[str, str]]) -> list[RelKey]:
        tx = self._tx()
        removed: list[RelKey] = []
        starts: dict[str, list[str]] = defaultdict(list)
        for start, rel_type in replace:
            starts[rel_type].append(start)
        for rel_type, ids in starts.items():
            query = Q.cypher(Q.RELS_REPLACE, type=rel_type)
            for part in chunks(ids):
                gone = [(r["start"], rel_type, r["end"]) for r in tx.run(query, ids=part)]
                removed += gone
                self._touch([*part, *(end for _, _, end in gone)])
        if nodes:
            later = self._write_nodes(tx, list({n.id: n for n in nodes}.values()))
            if later:
                self._local.later = later
            self._touch((n.id for n in nodes), nodes)
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for start, rel_type, end, props in rels:
            by_type[rel_type].append({"s": start, "e": end, "p": props})
            self._touch((start, end))
        for rel_type, rows in by_type.items():
            query = Q.cypher(Q.RELS_MERGE, type=rel_type)
            for part in chunks(rows):
                tx.run(query, rows=part).consume()
        return removed

    _write_nodes = staticmethod(write_nodes)

    def _delete(self, ids: list[str]) -> tuple[dict[str, list[str]], list[RelKey]]:
        def work() -> tuple[dict[str, list[str]], list[RelKey]]:
            tx = self._tx()
            self._touch_all()  # the neighbours of a deleted node are unknown here
            removed: dict[str, set[str]] = defaultdict(set)
            rels: set[RelKey] = set()
            for part in chunks(ids):
                for r in tx.run(Q.NODES_AND_RELS, ids=part):
                    label = _main_label(r["labels"])
                    if label is not None:
                        removed[label].add(r["id"])
                    if r["type"] is not None:
                        rels.add((r["start"], r["type"], r["end"]))
                tx.run(Q.NODES_DELETE, ids=part).consume()
            return {k: sorted(v) for k, v in removed.items()}, sorted(rels)

        return self._run_write(work)

    def _delete_relationships(self, keys: list[RelKey]) -> list[RelKey]:
        by_type: dict[str, list[dict[str, str]]] = defaultdict(list)
        for start, rel_type, end in keys:
            by_type[rel_type].append({"s": start, "e": end})

        def work() -> list[RelKey]:
            tx = self._tx()
            self._touch(i for s, _, e in keys for i in (s, e))
            return [(r["s"], t, r["e"]) for t, rows in by_type.items() for part in chunks(rows)
                    for r in tx.run(Q.cypher(Q.RELS_DELETE, type=t), rows=part)]

        return self._run_write(work)

    # -- reads -------------------------------------------------------------------------------
    def _labels_of(self, ids: list[str]) -> dict[str, str]:
        def fetch(tx: ManagedTransaction, wanted: list[str]) -> dict[str, str | None]:
            found: dict[str, str | None] = dict.fromkeys(wanted)
            for part in chunks(wanted, 5000):
                for r in tx.run(Q.LABELS_OF, ids=part):
                    found[r["id"]] = _main_label(r["labels"])
            return found

        if getattr(self._local, "tx", None) is not None:  # validation: no cache
            fresh = fetch(self._tx(), list(dict.fromkeys(ids)))
            return {i: lbl for i, lbl in fresh.items() if lbl is not None}
        cache = self._sync()
        missing = list({i for i in ids if i not in cache.labels and i not in cache.nodes})
        if missing:
            cache.labels.update(self._read(lambda tx: fetch(tx, missing)))
        out: dict[str, str] = {}
        for i in ids:
            raw = cache.nodes.get(i)
            label = raw[1] if raw is not None else cache.labels.get(i)
            if label is not None:
                out[i] = label
        return out

    def _get(self, node_id: str) -> RawNode | None:
        found = self._get_many([node_id])
        return found[0] if found else None

    def _get_many(self, ids: list[str]) -> list[RawNode]:
        cache = self._sync().nodes
        missing = list({i for i in ids if i not in cache})
        if missing:
            def fetch(tx: ManagedTransaction) -> dict[str, RawNode | None]:
                found: dict[str, RawNode | None] = dict.fromkeys(missing)
                for part in chunks(missing, 5000):
                    for r in tx.run(Q.NODES_BY_ID, ids=part):
                        label = _main_label(r["labels"])
                        if label is not None:
                            found[r["id"]] = _raw(r["id"], label, r["props"])
                return found

            cache.update(self._read(fetch))
        return [_copy(raw) for i in ids if (raw := cache.get(i)) is not None]

    def _label_nodes(self, label: str) -> list[RawNode]:
        def compute() -> list[RawNode]:
            query = Q.cypher(Q.LABEL_NODES, label=label)
            rows = self._read(lambda tx: [_raw(r["id"], label, r["props"])
                                          for r in tx.run(query)])
            return sorted(rows, key=lambda raw: raw[0])

        return self._cached(("nodes", label), compute)

    def _find(self, label: str, props: dict[str, Any]) -> list[RawNode]:
        if label not in NODE_MODELS:
            return []
        return [_copy(raw) for raw in self._label_nodes(label)
                if all(raw[2].get(k) == v for k, v in props.items())]

    def _ids(self, label: str) -> list[str]:
        if label not in NODE_MODELS:
            return []
        query = Q.cypher(Q.LABEL_IDS, label=label)
        return list(self._cached(("ids", label), lambda: sorted(
            self._read(lambda tx: [r["id"] for r in tx.run(query)]))))

    def _out_rels(self, node_id: str) -> list[Rel]:
        cache = self._sync().out
        found = cache.get(node_id)
        if found is None:
            found = cache[node_id] = self._read(lambda tx: [
                (r["type"], r["other"], r["props"]) for r in tx.run(Q.OUT_RELS, id=node_id)])
        return found

    def _in_rels(self, node_id: str, type: str | None) -> list[Rel]:
        # Incoming relationships of a hub (a theme, a gemeente) are many: ask for one type.
        cache = self._sync().into
        key = (node_id, type)
        found = cache.get(key)
        if found is None:
            query = Q.IN_RELS if type is None else Q.cypher(Q.IN_RELS_OF_TYPE, type=type)
            found = cache[key] = self._read(lambda tx: [
                (r["type"], r["other"], r["props"]) for r in tx.run(query, id=node_id)])
        return found

    def _neighbour_ids(self, node_id: str, type: str | None, direction: str) -> list[str]:
        found: list[str] = []
        if direction in ("out", "both"):
            found += [o for t, o, _ in self._out_rels(node_id) if type is None or t == type]
        if direction in ("in", "both"):
            found += [o for _, o, _ in self._in_rels(node_id, type)]
        return found

    def _relationships(self, node_id: str | None, type: str | None,
                       direction: str) -> list[tuple[str, str, str, dict[str, Any]]]:
        if node_id is None:
            return self._all_relationships(type)
        found: list[tuple[str, str, str, dict[str, Any]]] = []
        if direction in ("out", "both"):
            found += [(node_id, t, other, dict(p)) for t, other, p in self._out_rels(node_id)
                      if type is None or t == type]
        if direction in ("in", "both"):
            found += [(other, t, node_id, dict(p)) for t, other, p in self._in_rels(node_id, type)]
        return found

    def _all_relationships(self, type: str | None) -> list[tuple[str, str, str, dict[str, Any]]]:
        types = [type] if type is not None else list(REL_SCHEMA)
        out: list[tuple[str, str, str, dict[str, Any]]] = []
        for t in types:
            query = Q.cypher(Q.RELS_OF_TYPE, type=t)
            out += self._read(lambda tx, q=query, t=t: [
                (r["start"], t, r["end"], r["props"]) for r in tx.run(q)])
        return out

    def _edges(self, types: list[str]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
        # Sorted by (start, end): the order the embedded store gives after loading its file,
        # so read models built from it (the matcher's catalog) come out the same.
        return {t: sorted(((s, e, p) for s, _, e, p in self._all_relationships(t)),
                          key=lambda row: (row[0], row[1])) for t in types}

    def _count(self, label: str | None) -> int:
        if label is not None and label not in NODE_MODELS:
            return 0
        query = Q.cypher(Q.COUNT_LABEL, label=label or Q.BASE)
        return int(self._cached(("count", label), lambda: self._single(query)))

    def _count_relationships(self, type: str | None) -> int:
        query = Q.COUNT_RELS if type is None else Q.cypher(Q.COUNT_RELS_OF_TYPE, type=type)
        return int(self._cached(("count_rels", type), lambda: self._single(query)))

    def _single(self, query: str) -> Any:
        return self._read(lambda tx: tx.run(query).single(strict=True)["n"])

    def _snapshot(self) -> nx.MultiDiGraph:
        version = self.version
        frozen = self._frozen
        if frozen is not None and frozen[0] == version:
            return frozen[1]

        def stream(tx: ManagedTransaction) -> nx.MultiDiGraph:
            # Records go straight into the graph as they arrive: nothing is held twice.
            g = nx.MultiDiGraph()
            for r in tx.run(Q.ALL_NODES):
                label = _main_label(r["labels"])
                if label is not None:
                    node_id, _, props = _raw(r["id"], label, r["props"])
                    g.add_node(node_id, label=label, **props)
            for r in tx.run(Q.ALL_RELS):
                if r["type"] in REL_SCHEMA:
                    g.add_edge(r["start"], r["end"], key=r["type"], **r["props"])
            return g

        graph = nx.freeze(self._read(stream))
        self._frozen = (version, graph)
        return graph

    def close(self) -> None:
        self._driver.close()


class _Race(Exception):
    """Two writers created the same id at once (a ConstraintError during MERGE/CREATE)."""


_MISSING = object()


def _copy(raw: RawNode) -> RawNode:
    node_id, label, props = raw
    return node_id, label, {k: list(v) if isinstance(v, list) else v for k, v in props.items()}
