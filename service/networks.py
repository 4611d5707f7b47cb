"""The network read model of a running service: the projection, filtered views, analytics.

:class:`NetworkViews` follows the store: on each use it compares ``store.version`` with its
projection's position and applies the change sets it missed (or rebuilds when the feed was
pruned). Views are built from the projection, never from ``snapshot()``.

Analytics (betweenness, Louvain, brokers, the gap matrix) are slow at 100,000 members, so
they are served stale-while-revalidate: a request gets the last result at once, with when it
was computed and whether writes came since; one background thread recomputes the views asked
for recently, after ``QUIET_S`` without writes or at most every ``MAX_WAIT_S`` under constant
writes (a result that took long waits longer, see ``BUSY_SHARE``). A result counts as out of
date only when a write changed what the network shows (the projection's ``content_seq``): a
question or an introduction leaves the metrics as they are.

A request never waits long for metrics: the very first one for a view waits at most
``FIRST_WAIT_S`` (a filtered map is ready well within that), then gets a Dutch "being
computed" answer (:class:`~schakel.errors.AnalyticsPendingError`, 503) while the computation
goes on. ``warm()`` (at start-up) computes the whole network's metrics before anyone asks and
keeps them current. Large views are analysed in a separate process (igraph holds the
interpreter lock for seconds; other requests must not stall meanwhile).

Everything starts from the members visible to members (the projection holds no one else),
so hidden members never reach a graph, a metric, a page or an export.

With ``keep`` (a file in the data dir) the projection is kept on disk between starts: a new
process reads the file and catches up from the change feed instead of reading the whole
store (see :mod:`schakel.graph.projection_file`). The file is written in the background,
at most every ``SAVE_EVERY_S`` while the projection moves on, and at once when someone left
it (hidden, erased), so a member who is gone from the map is gone from the file too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import networkx as nx

from schakel.errors import AnalyticsPendingError, ScopeError, UnknownReferenceError
from schakel.graph import projection_file
from schakel.graph.analytics import Analysis, analyse, analyse_arrays
from schakel.graph.bulk import settle_heap
from schakel.graph.gaps import GapData, GapMatrix, gap_matrix
from schakel.graph.geo import Gazetteer, Place
from schakel.graph.lookup import Lookup
from schakel.graph.network import MAX_DEPTH
from schakel.graph.projection import Projection
from schakel.graph.query import region_scope
from schakel.graph.store import GraphStore

from .access import AccessStore, open_access
from .config import Settings
from .offload import ChildGone, Children

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAP_CAP = 2000  # nodes a browser draws smoothly; larger views ask for a filter
QUIET_S = 2.0  # recompute analytics after this long without writes ...
MAX_WAIT_S = 30.0  # ... or at least this often while writes go on
POLL_S = 0.5  # how often the worker looks at the store's version
IDLE_S = 300.0  # the worker stops after this long with nothing to do (the next request wakes it)
FORGET_S = 900.0  # results nobody asked for in this long are dropped, not recomputed
_KEEP = 16  # analysis results (and graphs per projection) kept
BUSY_SHARE = 3.0  # under writes, wait 3x a result's computation time before the next
CATCH_UP_WAIT_S = 2.0  # a reader behind the store waits this long for a catch-up in progress
FIRST_WAIT_S = 2.0  # the first request for a view's metrics waits at most this long
OFFLOAD_FROM = 5000  # views from this many nodes are analysed in a separate process
SAVE_EVERY_S = 30.0  # the kept projection file is rewritten at most this often ...
# ... unless someone left the projection: then at once (see _offer)
KEPT_FILE = "netwerkprojectie.bin"  # in the data dir
PENDING = ("De netwerkcijfers van deze weergave worden nu voor het eerst berekend. "
           "Probeer het over een halve minuut opnieuw.")


@dataclass(frozen=True)
class Scope:
    """Which part of the network a view shows. Values are ids or names, as in the filters."""

    theme: str | None = None
    region: str | None = None
    domain: str | None = None
    role: str | None = None
    ego: str | None = None
    depth: int = 1
    organisations: bool = False
    met: bool = True  # weak "ontmoet bij" ties (attended an activity together)

    def key(self) -> tuple[Any, ...]:
        return tuple(asdict(self).values())

    @property
    def whole(self) -> bool:
        """Every member: the view the service keeps computed."""
        return self == Scope()


@dataclass(frozen=True)
class Computed(Generic[T]):
    """A background result with its age: ``stale`` when writes came after ``seq``."""

    value: T
    seq: int
    computed_at: datetime
    stale: bool = False

    def age(self) -> dict[str, Any]:
        """The fields API answers carry."""
        return {"computed_at": self.computed_at, "stale": self.stale}


@dataclass
class _Entry:
    compute: Callable[[Projection], Any]
    result: Computed[Any] | None = None
    asked: float = 0.0
    took: float = 0.0  # seconds the last computation took
    done: float = 0.0  # when it finished (monotonic)
    by_content: bool = False  # out of date only when the network's content changed
    kept: bool = False  # kept current even when nobody asks (the whole network)

    def behind(self, proj: Projection) -> bool:
        """Whether the result is older than what it follows in ``proj``."""
        r = self.result
        if r is None or r.seq == proj.seq:
            return False
        return not (self.by_content and proj.content_seq <= r.seq <= proj.seq)


class NetworkViews:
    """The app's network state: one per app, shared by all requests (thread-safe).

    Parameters
    ----------
    store, gazetteer : what the app opened.
    lookup : gives the current name lookup (theme and domain names in filters).
    seed : seeds sampling and Louvain.
    background : recompute in a worker thread (tests may call :meth:`refresh` instead).
    keep : the file the projection is kept in between starts (None: not kept). Without a
        background it is written at once, each time the projection moves on.
    """

    def __init__(self, store: GraphStore, gazetteer: Gazetteer, lookup: Callable[[], Lookup],
                 *, seed: int = 7, background: bool = True, quiet_s: float = QUIET_S,
                 max_wait_s: float = MAX_WAIT_S, keep: Path | None = None,
                 save_every_s: float = SAVE_EVERY_S) -> None:
        self.store = store
        self.gazetteer = gazetteer
        self.lookup = lookup
        self.seed = seed
        self.background = background
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s
        self._projection: Projection | None = None
        self._changed_at = time.monotonic()  # when the projection last moved on
        self._names: Lookup | None = None  # see names()
        self._catching_up = threading.Lock()  # one catch-up at a time; readers do not wait
        self._lock = threading.Lock()  # guards the dicts below, held for dict operations only
        # graphs and filtered id lists of recent projections, by scope
        self._graphs: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._running: dict[Hashable, Future[Computed[Any]]] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._children = Children("schakel-netwerkmaten")
        self.keep = keep
        self.save_every_s = save_every_s
        self._saved_seq = -1  # the position of the projection last written to (or read from) keep
        self._save_due: float | None = None  # when the saver writes next (None: nothing to)
        self._saver: threading.Thread | None = None
        self._save_wake = threading.Event()
        self._left = False  # set while catching up: someone left the projection

    # -- the projection ----------------------------------------------------------------------
    def projection(self) -> Projection:
        """The projection, caught up with the store.

        A reader that finds it behind applies the missed change sets (or rebuilds when the
        feed no longer has them); other readers meanwhile keep the published one (waiting at
        most ``CATCH_UP_WAIT_S`` when they are behind themselves)."""
        current = self._projection
        version = self.store.version
        if current is not None and current.seq == version:
            return current
        if not self._catching_up.acquire(timeout=CATCH_UP_WAIT_S if current else -1):
            return current  # type: ignore[return-value]  # acquire(-1) waits: current is set
        try:
            before = self._projection
            version = self.store.version
            self._left = False
            if before is None:
                current = self._start(version)
            elif before.seq != version:
                current = self._caught_up(before, version)
            else:
                current = before
            if current is not before:
                self._changed_at = time.monotonic()
                self._projection = current
            left = self._left
        finally:
            self._catching_up.release()
        if current is not before:
            self._offer(current, urgent=left)
        return current

    def _start(self, version: int) -> Projection:
        """The first projection of this process: the kept file caught up from the feed when
        it is this store's and the feed reaches back to it, else read from the store."""
        kept = self._read_kept()
        if kept is not None and kept.seq <= version:
            self._saved_seq = kept.seq
            if kept.seq == version:
                return kept
            started = time.perf_counter()
            caught = self._caught_up(kept, version)
            logger.info("network projection read from %s and caught up (%d writes) in %.2f s",
                        self.keep, version - kept.seq, time.perf_counter() - started)
            return caught
        # A file that was there but not used may hold someone who has left since: replace it
        # at once. Without one, a file is written within save_every_s.
        self._left = self.keep is not None and self.keep.exists()
        return Projection.build(self.store, version)

    def _read_kept(self) -> Projection | None:
        if self.keep is None:
            return None
        started = time.perf_counter()
        kept = projection_file.load(self.keep, self.store)
        if kept is not None:
            logger.info("network projection file read in %.2f s", time.perf_counter() - started)
        return kept

    def _caught_up(self, current: Projection, version: int) -> Projection:
        since = getattr(self.store, "changes_since", None)
        changes = since(current.seq) if since is not None and version > current.seq else None
        if changes is None:  # no feed, pruned, or the store started again: read it all
            self._names = None
            self._left = True  # who left is not known
            started = time.perf_counter()
            rebuilt = Projection.build(self.store, version)
            logger.info("network projection rebuilt in %.2f s", time.perf_counter() - started)
            return rebuilt
        seq = max([version, *(c.seq for c in changes)])
        if any(c.labels & {"Theme", "Domain"} for c in changes):
            self._names = None  # theme or domain names may have changed
        if not changes:
            return replace(current, seq=seq)
        after = current.apply(self.store, changes, seq)
        self._left = self._left or any(
            m in current.people and m not in after.people
            for c in changes for m in (*c.ids("Member"), *c.removed.get("Member", ())))
        return after

    # -- keeping the projection on disk ------------------------------------------------------
    def _offer(self, after: Projection, urgent: bool) -> None:
        """The projection moved on: have it written, at once when it is ``urgent`` (someone
        left it, so the file must not keep them; or it is the first one), else within
        ``save_every_s``."""
        if self.keep is None or after.seq <= self._saved_seq:
            return
        if not self.background:
            self.save_kept()
            return
        now = time.monotonic()
        due = now if urgent else now + self.save_every_s
        with self._lock:
            if self._save_due is None or due < self._save_due:
                self._save_due = due
            if self._saver is None and not self._stop.is_set():
                self._saver = threading.Thread(target=self._save_loop,
                                               name="schakel-netwerk-bewaren", daemon=True)
                self._saver.start()
        self._save_wake.set()

    def _save_loop(self) -> None:
        while True:
            with self._lock:
                due = self._save_due
                if due is None or self._stop.is_set():
                    self._saver = None
                    return
            wait = due - time.monotonic()
            if wait > 0:
                self._save_wake.wait(wait)
                self._save_wake.clear()
                continue
            with self._lock:
                self._save_due = None
            self.save_kept()

    def forget(self) -> None:
        """After an erasure: bring the kept file up to date now, so the member is gone from
        it too (nothing to do without a projection here or a file)."""
        if self.keep is None or (self._projection is None and not self.keep.exists()):
            return
        erased, deadline = self.store.version, time.monotonic() + 30
        # another thread may be catching up (a reader then gets the old projection)
        while self.projection().seq < erased and time.monotonic() < deadline:
            time.sleep(0.05)
        self.save_kept()

    def save_kept(self) -> bool:
        """Write the projection, caught up with the store first, to ``keep`` now (when it
        is further along than the file). Returns whether it wrote; never raises."""
        if self.keep is None:
            return False
        try:
            proj = self.projection()
            if proj.seq <= self._saved_seq:
                return False
            started = time.perf_counter()
            wrote = projection_file.save(proj, self.keep, self.store)
            self._saved_seq = max(self._saved_seq, proj.seq)
            if wrote:
                logger.info("network projection written to %s in %.2f s", self.keep,
                            time.perf_counter() - started)
            return wrote
        except Exception:  # noqa: BLE001 - the next start reads the store instead
            logger.exception("could not write the network projection to %s", self.keep)
            return False

    def names(self) -> Lookup:
        """The app's lookup, asked again only after theme or domain nodes changed: the map
        then does not wait for the app's other read models to catch up."""
        names = self._names
        if names is None:
            names = self._names = self.lookup()
        return names

    # -- views -------------------------------------------------------------------------------
    def member_ids(self, scope: Scope, proj: Projection | None = None) -> list[str]:
        """Visible members in the scope's filters (ego not applied), sorted.

        Raises
        ------
        UnknownReferenceError
            A filter names no theme, region or domain.
        """
        proj = proj or self.projection()
        key = ("ids", proj.seq, id(proj), scope.key()[:4])
        with self._lock:
            if key in self._graphs:
                return self._graphs[key]  # type: ignore[return-value]
        ids = self._filtered(scope, proj)
        with self._lock:
            self._graphs[key] = ids  # type: ignore[assignment]
            self._trim()
        return ids

    def _filtered(self, scope: Scope, proj: Projection) -> list[str]:
        lookup = self.names() if scope.theme or scope.domain else None
        themes = places = domain = None
        if scope.theme:
            theme = lookup.theme(scope.theme)  # type: ignore[union-attr]
            if theme is None:
                raise UnknownReferenceError("theme", scope.theme, "thema")
            themes = proj.theme_scope(theme)
        if scope.region:
            place = self.gazetteer.find(scope.region)
            if place is None:
                raise UnknownReferenceError("region", scope.region, "plaats of regio")
            places = region_scope(self.gazetteer, place)
        if scope.domain:
            domain = lookup.domain(scope.domain)  # type: ignore[union-attr]
            if domain is None:
                raise UnknownReferenceError("domain", scope.domain, "domein")
        return proj.member_ids(themes=themes, places=places, domain=domain, role=scope.role)

    def _view_nodes(self, scope: Scope, proj: Projection) -> tuple[list[str], set[str] | None]:
        ids = self.member_ids(scope, proj)
        if scope.ego is None:
            return ids, None
        if not 1 <= scope.depth <= MAX_DEPTH:
            raise ScopeError("diepte",
                             f"de diepte moet 1 tot en met {MAX_DEPTH} zijn, niet {scope.depth}")
        if scope.ego not in set(ids):
            raise ScopeError("ego", f"onbekend lid in deze weergave: {scope.ego!r}")
        return ids, proj.reach(ids, scope.ego, scope.depth, organisations=scope.organisations,
                               met=scope.met)

    def view_members(self, scope: Scope, proj: Projection | None = None
                     ) -> tuple[list[str], set[str] | None]:
        """The members of a view without building its graph: the filtered ids and, with an
        ego, the nodes within reach (else None).

        Raises
        ------
        UnknownReferenceError, ScopeError
            As :meth:`view`.
        """
        return self._view_nodes(scope, proj or self.projection())

    def size(self, scope: Scope) -> tuple[int, int]:
        """Nodes and edges of a view, without building it when it is members only."""
        proj = self.projection()
        if scope.organisations or scope.ego is not None:
            g = self.view(scope)
            return len(g), g.number_of_edges()
        ids = self.member_ids(scope, proj)
        return len(ids), proj.count_edges(ids, met=scope.met)

    def view(self, scope: Scope, proj: Projection | None = None) -> nx.Graph:
        """The graph of one scope, frozen (it is shared between requests).

        Raises
        ------
        UnknownReferenceError
            A filter names no theme, region or domain.
        ScopeError
            The ego is not in the filtered view, or the depth is out of range.
        """
        proj = proj or self.projection()
        key = ("graph", proj.seq, id(proj), scope.key())
        with self._lock:
            if key in self._graphs:
                self._graphs.move_to_end(key)
                return self._graphs[key]  # type: ignore[no-any-return]
        ids, only = self._view_nodes(scope, proj)
        g = nx.freeze(proj.graph(ids, organisations=scope.organisations, only=only,
                                 met=scope.met))
        with self._lock:
            self._graphs[key] = g
            self._trim()
        return g

    def _trim(self) -> None:
        while len(self._graphs) > 2 * _KEEP:
            self._graphs.popitem(last=False)

    def visible(self, proj: Projection | None = None) -> dict[str, list[str]]:
        """Members visible to members, with their roles."""
        proj = proj or self.projection()
        return {m: list(p.roles) for m, p in proj.people.items()}

    # -- background results ------------------------------------------------------------------
    def analysis(self, scope: Scope, wait: float | None = -1.0) -> Computed[Analysis]:
        """The metrics of one scope: the last result at once (``stale`` when writes changed
        the network since). The scope is checked first, so a bad filter or an ego that is no
        longer shown is an error, never an old answer.

        Raises
        ------
        AnalyticsPendingError
            Nobody has computed this view yet and that takes longer than ``wait`` seconds
            (default ``FIRST_WAIT_S``; None: wait for it); the computation goes on.
        """
        wait = FIRST_WAIT_S if wait is not None and wait < 0 else wait
        self._view_nodes(scope, self.projection())
        seed = self.seed

        def compute(p: Projection) -> Analysis:
            ids, only = self._view_nodes(scope, p)
            if len(only if only is not None else ids) > MAP_CAP and not scope.organisations:
                # a large view: straight from the projection to arrays, no graph to cache
                nodes, arrays = p.arrays(ids, only)
                return analyse_arrays(nodes, arrays, seed=seed, run=self._runner(len(nodes)))
            g = self.view(scope, p)
            return analyse(g, seed=seed, run=self._runner(len(g)))

        return self._result(("analysis", scope.key()), compute, wait=wait, by_content=True,
                            kept=scope.whole)

    def _runner(self, nodes: int) -> Callable[..., Any] | None:
        """Where the compiled analytics of a graph run: here for small graphs and without a
        background (tests, the CLI), else in a process of their own."""
        if not self.background or nodes < OFFLOAD_FROM or self._stop.is_set():
            return None
        return self._in_process

    def _in_process(self, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``step(*args, **kwargs)`` in a fresh process (service/offload.py), which gives its
        memory back when it ends; ``close`` stops it."""
        if self._stop.is_set():
            raise RuntimeError("the network views are closed")
        try:
            return self._children.run(step, *args, **kwargs)
        except ChildGone:  # the process died (memory?) or was stopped
            if self._stop.is_set():
                raise RuntimeError("the network views are closed") from None
            logger.warning("analytics process stopped; computing in the service")
            return step(*args, **kwargs)

    def warm(self) -> threading.Thread:
        """Compute the whole network's metrics now, in the background, and keep them current
        after writes (at start-up: the first page that needs them does not wait)."""

        def run() -> None:
            started = time.perf_counter()
            try:
                import schakel.graph.compiled  # noqa: F401 - now, not in the first map request
                self.analysis(Scope(), wait=None)
            except Exception:  # noqa: BLE001 - a request will report it
                logger.exception("network warm-up failed")
                return
            logger.info("network metrics ready in %.1f s", time.perf_counter() - started)
            settle_heap(thorough=False)  # after the projection's and the metrics' build
            self._kick()

        thread = threading.Thread(target=run, name="schakel-netwerk-warm", daemon=True)
        thread.start()
        return thread

    def gaps(self, level: str, within: Place | None) -> Computed[GapMatrix]:
        """The gap matrix of one level (and place), served like :meth:`analysis`."""
        # Reads its own data: a cached GapData could be older than the projection.
        return self._result(("gaps", level, within.id if within else ""),
                            lambda p: gap_matrix(GapData.read(self.store), self.gazetteer,
                                                 self.visible(p), level=level, within=within))

    def gap_data(self) -> Computed[GapData]:
        """What the gap matrix counts (bulk reads), served like :meth:`analysis`."""
        return self._result(("gapdata",), lambda _: GapData.read(self.store))

    def _result(self, key: Hashable, compute: Callable[[Projection], T], *,
                wait: float | None = None, by_content: bool = False,
                kept: bool = False) -> Computed[T]:
        proj = self.projection()
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(compute, by_content=by_content, kept=kept)
            entry.asked = now
            self._entries.move_to_end(key)
            for old in [k for k, e in self._entries.items() if not e.kept]:
                if len(self._entries) <= _KEEP:
                    break
                del self._entries[old]
            result = entry.result
        if result is None:
            result = self._first(key, entry, proj, wait)
        if entry.behind(proj):
            self._kick()
            return Computed(result.value, result.seq, result.computed_at, stale=True)
        return result

    def _first(self, key: Hashable, entry: _Entry, proj: Projection,
               wait: float | None) -> Computed[Any]:
        """The first result of ``key``: computed in the background when there is one (the
        caller waits at most ``wait`` seconds), else here."""
        if wait is None or not self.background:
            return self._compute_once(key, entry, proj)
        done = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = self._compute_once(key, entry, proj)
            except BaseException as e:  # noqa: BLE001 - handed to the caller (if it still waits)
                box["error"] = e
            finally:
                done.set()

        threading.Thread(target=run, name="schakel-netwerk-eerst", daemon=True).start()
        if not done.wait(wait):
            raise AnalyticsPendingError(PENDING)
        if "error" in box:
            raise box["error"]
        return box["result"]  # type: ignore[no-any-return]

    def _compute_once(self, key: Hashable, entry: _Entry, proj: Projection) -> Computed[Any]:
        """Compute a result nobody has yet; a second request for it waits for the first."""
        with self._lock:
            running = self._running.get(key)
            mine = running is None
            if mine:
                running = self._running[key] = Future()
        assert running is not None
        if not mine:
            return running.result()
        try:
            started = time.perf_counter()
            result = Computed(entry.compute(proj), proj.seq, datetime.now(UTC))
            with self._lock:
                if entry.result is None or entry.result.seq < result.seq:
                    entry.result = result
                    entry.took, entry.done = time.perf_counter() - started, time.monotonic()
            running.set_result(result)
            return result
        except BaseException as e:
            running.set_exception(e)
            raise
        finally:
            with self._lock:
                self._running.pop(key, None)

    def refresh(self, busy: bool = False) -> int:
        """Recompute every result that is behind the store now; returns how many. The
        worker calls this; tests and the CLI may call it directly.

        ``busy``: writes are still coming in; then a result is recomputed only when at least
        ``BUSY_SHARE`` times its last computation time has passed since, so a view that takes
        minutes (all of 100,000 members) does not keep a core busy for ever."""
        proj = self.projection()
        now = time.monotonic()
        with self._lock:
            for key in [k for k, e in self._entries.items()
                        if now - e.asked > FORGET_S and not e.kept]:
                del self._entries[key]
            # newest asked first: what people look at now is ready first
            todo = [(k, e) for k, e in reversed(self._entries.items())
                    if e.behind(proj) and not (busy and now - e.done < BUSY_SHARE * e.took)]
        done = 0
        for key, entry in todo:
            if self._stop.is_set():
                break
            started = time.perf_counter()
            try:
                value = entry.compute(proj)
            except (ScopeError, UnknownReferenceError):
                with self._lock:  # the view no longer exists (say its ego was hidden)
                    self._entries.pop(key, None)
                continue
            except Exception:
                logger.exception("network result %s failed; keeping the old one", key)
                continue
            took = time.perf_counter() - started
            with self._lock:
                entry.result = Computed(value, proj.seq, datetime.now(UTC))
                entry.took, entry.done = took, time.monotonic()
            done += 1
            logger.info("network result %s recomputed in %.2f s", key[0], took)
        return done

    # -- the worker --------------------------------------------------------------------------
    def _kick(self) -> None:
        """Make sure the worker runs (it stops itself when idle)."""
        if not self.background or self._stop.is_set():
            return
        with self._lock:
            self._wake.set()
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="schakel-netwerk",
                                                daemon=True)
                self._worker.start()

    def _run(self) -> None:
        first_pending = idle_since = time.monotonic()
        pending = False
        while not self._stop.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                proj = self.projection()
            except Exception as e:  # say the store was closed: stop; a request restarts it
                logger.warning("network worker stops: %s", e)
                break
            now = time.monotonic()
            with self._lock:
                behind = any(e.behind(proj) for e in self._entries.values())
                kept = any(e.kept for e in self._entries.values())
            if not behind:
                pending = False
                if now - idle_since > IDLE_S and not kept:  # kept results follow every write
                    with self._lock:
                        if not self._wake.is_set():  # else a request just asked for work
                            self._worker = None
                            return
                continue
            if not pending:
                pending, first_pending = True, now
            quiet = now - self._changed_at >= self.quiet_s
            if quiet or now - first_pending >= self.max_wait_s:
                self.refresh(busy=not quiet)
                pending = False
                idle_since = time.monotonic()
        with self._lock:
            self._worker = None

    def close(self) -> None:
        """Stop the worker (at app shutdown); a computation in progress finishes first. A
        projection not yet written to ``keep`` is written now."""
        self._stop.set()
        self._wake.set()
        self._save_wake.set()
        with self._lock:  # _kick and _offer create and start their thread under it
            worker, saver = self._worker, self._saver
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=30)
        if saver is not None and saver is not threading.current_thread():
            saver.join(timeout=30)
        if self._projection is not None and self._projection.seq > self._saved_seq:
            self.save_kept()
        self._children.stop()  # a computation nobody will read


_CREATING = threading.Lock()


def network_views(state: Any) -> NetworkViews:
    """The app's :class:`NetworkViews` (``state.network``); made on first use when the app
    did not make one at start-up."""
    views = getattr(state, "network", None)
    if views is None:
        with _CREATING:
            views = getattr(state, "network", None)
            if views is None:
                views = NetworkViews(state.store, state.gazetteer, lambda: state.lookup,
                                     seed=state.settings.seed,
                                     keep=state.settings.data_dir / KEPT_FILE)
                state.network = views
    return views


def pseudonym_key(settings: Settings, access: AccessStore | None = None) -> bytes:
    """The installation's key for pseudonyms, so the same person gets the same pseudonym in
    every export of this installation. It lives in the access store (``access``, or one
    opened for the call), made once and atomically: workers starting together agree on it.
    A key file from before (``pseudoniem.key`` in the data dir) is adopted, not replaced."""
    legacy = Path(settings.data_dir) / "pseudoniem.key"
    proposal = legacy.read_bytes() if legacy.is_file() else None
    if access is not None:
        return access.secret("pseudoniem", proposal)
    opened = open_access(settings)
    try:
        return opened.secret("pseudoniem", proposal)
    finally:
        opened.close()
