"""`schakel bench`, the analytics part: whole-network metrics with networkx and with the
compiled backend side by side, and the first filtered map after a start.

- whole network: every visible member, all metrics (betweenness and closeness from 100
  sources/pivots, Louvain, constraint, effective size, brokerage, bridges); networkx only up
  to ``NETWORKX_UP_TO`` members (it takes minutes at 100,000);
- in the service after a start: the warm-up reads the projection, builds the graph and
  computes the compiled metrics in the worker process, until the whole network's metrics
  are published;
- after a start: a fresh network read model, its warm-up started as ``schakel serve`` does;
  the first filtered map asked at once (it waits for the projection, read from the store)
  and the first map of another filter once the projection is there;
- after a second start: the same, with the projection the first one kept on disk (read
  from the file and caught up from the change feed instead of read from the store).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import networkx as nx
from rich.table import Table

from schakel.graph.analytics import analyse
from schakel.graph.geo import Gazetteer
from schakel.graph.lookup import Lookup
from schakel.graph.projection import Projection
from schakel.graph.store import GraphStore

__all__ = ["AnalyticsRow", "measure_analytics", "analytics_table", "NETWORKX_UP_TO"]

T = TypeVar("T")
NETWORKX_UP_TO = 10_000
MAP = {"theme": "thuiszitters", "region": "Overijssel"}  # the map a netwerkregisseur opens
OTHER_MAP = {"domain": "jeugdhulp", "region": "Utrecht"}


@dataclass
class AnalyticsRow:
    nodes: int
    edges: int
    graph_s: float  # projection read from the store + graph of every member
    compiled_s: float
    networkx_s: float | None
    service_s: float  # start -> whole network's metrics published (projection, graph, process)
    start_map_s: float  # first filtered map asked right after a start, no file kept
    first_map_s: float  # first map of another filter, projection built
    kept_map_s: float = 0.0  # first filtered map after a start with the projection file
    kept_first_map_s: float = 0.0  # then the first map of another filter
    kept_mb: float = 0.0  # size of the projection file
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    steps: dict[str, dict[str, float]] = field(default_factory=dict)


def _seconds(work: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def measure_analytics(store: GraphStore, seed: int = 7,
                      networkx_up_to: int = NETWORKX_UP_TO) -> AnalyticsRow:
    """Measure on ``store`` (seeded, nothing else running in this process)."""
    from schakel.service.application.network import map_data
    from schakel.service.networks import NetworkViews, Scope

    gazetteer = Gazetteer.load()
    lookup = Lookup(store, gazetteer)

    def start(keep: Path) -> tuple[float, float, float]:
        """A start: the warm-up and the first map race, as in a new server process."""
        views = NetworkViews(store, gazetteer, lambda: lookup, seed=seed, keep=keep)
        try:
            started = time.perf_counter()
            warm = views.warm()
            map_data(views, Scope(**MAP))
            start_map_s = time.perf_counter() - started
            first_map_s, _ = _seconds(lambda: map_data(views, Scope(**OTHER_MAP)))
            warm.join()
            return start_map_s, first_map_s, time.perf_counter() - started
        finally:
            views.close()  # writes the projection file if it has not been written yet

    with tempfile.TemporaryDirectory(prefix="schakel-bench-kaart-") as tmp:
        keep = Path(tmp) / "netwerkprojectie.bin"
        start_map_s, first_map_s, service_s = start(keep)  # no file yet: read the store
        kept_mb = keep.stat().st_size / 1e6 if keep.is_file() else 0.0
        kept_map_s, kept_first_map_s, _ = start(keep)  # the file the first start kept

    def whole() -> nx.Graph:
        p = Projection.build(store)
        return p.graph(p.member_ids())

    graph_s, g = _seconds(whole)
    compiled_s, fast = _seconds(lambda: analyse(g, seed=seed, backend="igraph"))
    steps = {"igraph": dict(fast.timings)}
    networkx_s = None
    if len(g) <= networkx_up_to:
        networkx_s, ref = _seconds(lambda: analyse(g, seed=seed, backend="networkx"))
        steps["networkx"] = dict(ref.timings)
    return AnalyticsRow(len(g), g.number_of_edges(), graph_s, compiled_s, networkx_s,
                        service_s, start_map_s, first_map_s, kept_map_s, kept_first_map_s,
                        kept_mb, os.getloadavg(), steps)


def analytics_table(rows: list[tuple[int, AnalyticsRow]]) -> Table:
    """One column per network size (members seeded), one row per measurement (seconds)."""
    table = Table(title="schakel bench: netwerkmaten van het hele netwerk (seconden)")
    table.add_column("meting")
    for members, _ in rows:
        table.add_column(f"{members:,} leden".replace(",", "."), justify="right")

    def add(name: str, show: Callable[[AnalyticsRow], str]) -> None:
        table.add_row(name, *[show(r) for _, r in rows])

    add("knopen / verbindingen", lambda r: f"{r.nodes} / {r.edges}")
    add("graaf uit de store", lambda r: f"{r.graph_s:.2f}")
    add("alle maten, networkx", lambda r: f"{r.networkx_s:.2f}" if r.networkx_s else "-")
    add("alle maten, igraph", lambda r: f"{r.compiled_s:.2f}")
    add("networkx / igraph", lambda r: f"{r.networkx_s / r.compiled_s:.0f}x"
        if r.networkx_s and r.compiled_s else "-")
    for step in ("betweenness", "closeness", "louvain", "brokerage", "constraint"):
        add(f"  {step} (networkx / igraph)", lambda r, s=step: "{} / {:.2f}".format(
            f"{r.steps['networkx'][s]:.2f}" if "networkx" in r.steps else "-",
            r.steps["igraph"].get(s, 0.0)))
    add("start -> hele netwerk gepubliceerd", lambda r: f"{r.service_s:.2f}")
    add("start -> eerste gefilterde kaart (graaf lezen)", lambda r: f"{r.start_map_s:.2f}")
    add("eerste kaart van een nieuw filter", lambda r: f"{r.first_map_s:.2f}")
    add("start -> eerste gefilterde kaart (projectie van schijf)",
        lambda r: f"{r.kept_map_s:.2f}")
    add("  daarna eerste kaart van een nieuw filter", lambda r: f"{r.kept_first_map_s:.2f}")
    add("  projectiebestand (MB)", lambda r: f"{r.kept_mb:.3g}")
    add("belasting (load average 1 min)", lambda r: f"{r.load[0]:.1f}")
    return table
