"""`schakel bench`: ingest and match timings at several network sizes, in-process and over HTTP,
next to the raw numpy dot product over the same matrix."""

from __future__ import annotations

import contextlib
import http.client
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import numpy as np
import typer
from rich.progress import Progress
from rich.table import Table

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.store import GraphStore
from schakel.matching.engine import Matcher, MatchQuery
from schakel.matching.evaluate import load_questions
from schakel.seeds.load import seed_store

from .access import open_access
from .bench_analytics import AnalyticsRow, analytics_table, measure_analytics
from .bench_encode import EncodeRow, measure_encoding
from .bench_live import LiveRow, measure_live
from .bench_synthetic import process_mb
from .cli import _progress, _settings, app, console
from .config import Settings
from .served import serving
from .state import open_matcher

PLACES = ["Emmen", "Zwolle", "Utrecht", "Rotterdam", "Maastricht", None, "Regio Twente",
          "Groningen", None, "Almere"]


def sync_with_progress(bar: Progress, matcher: Matcher, store: GraphStore) -> None:
    """``matcher.sync(store)`` with a bar that follows the encoding, kind by kind."""
    task = bar.add_task("Teksten voorbereiden", total=None)
    matcher.sync(store, progress=lambda kind, done, total: bar.update(
        task, description=f"Teksten voorbereiden ({kind})", completed=done, total=total))


@contextlib.contextmanager
def scratch_network(members: int, seed: int, settings: Settings) -> Iterator[Matcher]:
    """A throw-away store with ``members`` demo members and a matcher synced to it.
    The embedding cache is the user's, so a second run encodes nothing."""
    with tempfile.TemporaryDirectory(prefix="schakel-") as tmp:
        scratch = settings.model_copy(update={"data_dir": Path(tmp)})
        with LocalGraphStore(scratch.store_path) as store, _progress() as bar:
            task = bar.add_task(f"Netwerk met {members} leden maken", total=None)
            seed_store(store, members, seed,
                       progress=lambda d, t: bar.update(task, completed=d, total=t))
            matcher = open_matcher(settings, Gazetteer.load())
            sync_with_progress(bar, matcher, store)
            if matcher.learn_themes:
                bar.add_task("Thema's leren uit het netwerk", total=None)
                matcher.themes_learned.wait()
        yield matcher


def queries(count: int) -> list[MatchQuery]:
    """``count`` questions: the development set's texts with a cycle of places and kinds."""
    texts = [q["text"] for q in load_questions()]
    kinds = [None, ["member"], ["expert"], None, ["practice", "community"]]
    return [MatchQuery(text=texts[i % len(texts)], near=PLACES[i % len(PLACES)],
                       kinds=kinds[i % len(kinds)], limit=10) for i in range(count)]


@dataclass
class Row:
    members: int
    seed_s: float
    ingest_s: float
    encoded: int
    reingest_s: float
    reencoded: int
    p50: float
    p95: float
    http_p50: float
    http_p95: float
    dense_p50: float
    raw_p50: float
    live: LiveRow | None = None
    analytics: AnalyticsRow | None = None
    encode: EncodeRow | None = None
    rss_mb: float = 0.0  # the server process (schakel serve) once its read models are built
    raw_http_p50: float = 0.0  # the numpy scan, right before and after the HTTP requests


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def bench_size(members: int, n_queries: int, settings: Settings, cache: Path | None) -> Row:
    with tempfile.TemporaryDirectory(prefix="schakel-bench-") as tmp:
        data = Path(tmp)
        cache_path = cache or data / "embeddings.sqlite"
        scratch = settings.model_copy(update={"data_dir": data, "embeddings": cache_path,
                                            "store": "local"})
        store = LocalGraphStore(scratch.store_path)
        with _progress() as bar:
            task = bar.add_task(f"{members} leden zaaien", total=None)
            t = time.perf_counter()
            seed_store(store, members, 7,
                       progress=lambda d, tot: bar.update(task, completed=d, total=tot))
            seed_s = time.perf_counter() - t
            bar.add_task("Eerste antwoord en coderen op de achtergrond", total=None)
            encode = measure_encoding(store, scratch, queries(1)[0])
            matcher = open_matcher(scratch, Gazetteer.load())
            t = time.perf_counter()
            sync_with_progress(bar, matcher, store)
            ingest_s, encoded = time.perf_counter() - t, matcher.encoder.encoded
        if matcher.learn_themes:  # fitted in the background: not during the timings
            matcher.themes_learned.wait(600)
        again = open_matcher(scratch, Gazetteer.load())
        again.learn_themes = False  # it only measures reading again
        t = time.perf_counter()
        again.sync(store)
        reingest_s, reencoded = time.perf_counter() - t, again.encoder.encoded
        del again

        qs = queries(n_queries)
        for q in qs[:20]:
            matcher.match(q)  # warm-up
        local, dense = [], []
        for q in qs:
            t = time.perf_counter()
            r = matcher.match(q)
            local.append((time.perf_counter() - t) * 1000)
            if "dense_ms" in r.timings:
                dense.append(r.timings["dense_ms"])
        members_matrix = matcher.vectors("member")
        qv = matcher.encoder.encode_query(qs[0].text)
        raw = [_scan_ms(members_matrix, qv) for _ in range(n_queries)]
        del matcher

        # Over HTTP: `schakel serve` in its own process, its own matcher from the warm
        # cache; this process only asks (it shares no interpreter with the server).
        access = open_access(scratch, store)
        key = access.add_user("bench", "staff", replace=True)
        access.close()
        over_http: list[float] = []
        raw_beside: list[float] = []
        with serving(scratch) as (base, pid, _), _asker(base, key) as ask:
            # The goal's yardstick right before and right after the requests, so both see
            # the machine as it is then (on a shared machine the scan alone moved from 6.2
            # to 9.7 ms between runs). Not in turn with them: streaming 205 MB between two
            # requests emptied the server's caches (HTTP p95 at 100k: 26.1 ms, against
            # 13.4-16.8 ms for the same code asked without it).
            raw_beside += [_scan_ms(members_matrix, qv) for _ in range(n_queries // 2)]
            for q in qs[:20]:
                ask(q)
            for q in qs:
                t = time.perf_counter()
                ask(q)
                over_http.append((time.perf_counter() - t) * 1000)
            raw_beside += [_scan_ms(members_matrix, qv) for _ in range(n_queries // 2)]
            rss = process_mb("VmRSS", pid)  # the server's, its read models all there now
        del members_matrix
        try:
            with _progress() as bar:
                bar.add_task("Schrijven en lezen door elkaar", total=None)
                live = measure_live(store, scratch, qs[: min(len(qs), 100)], first_map)
                bar.add_task("Netwerkmaten: networkx en igraph", total=None)
                analytics = measure_analytics(store, scratch.seed)
        finally:
            store.close()
    return Row(members, seed_s, ingest_s, encoded, reingest_s, reencoded,
               _pct(local, 50), _pct(local, 95), _pct(over_http, 50), _pct(over_http, 95),
               _pct(dense, 50), _pct(raw, 50), live, analytics, encode, rss,
               _pct(raw_beside, 50))


def _scan_ms(matrix: np.ndarray, vector: np.ndarray) -> float:
    """One plain numpy float32 scan of ``matrix`` (milliseconds)."""
    t = time.perf_counter()
    matrix @ vector
    return (time.perf_counter() - t) * 1000


def first_map(state: object) -> object:
    """The filtered map a netwerkregisseur opens: one theme in one provincie."""
    from .application.network import map_data
    from .networks import Scope, network_views

    return map_data(network_views(state), Scope(theme="thuiszitters", region="Overijssel"))


@contextlib.contextmanager
def _asker(base: str, key: str) -> Iterator[Callable[[MatchQuery], None]]:
    """Asks the server over one kept-alive connection of the standard library's client.
    httpx spent half a millisecond of its own on every request (GET /api/v1/health at p50:
    1.18 ms with httpx, 0.63 ms with http.client): the client's time, not the server's."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=600)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def ask(q: MatchQuery) -> None:
        conn.request("POST", "/api/v1/match", body=json.dumps(_body(q)), headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"/api/v1/match gaf {response.status}: {body[:300]!r}")

    try:
        yield ask
    finally:
        conn.close()


def _body(q: MatchQuery) -> dict[str, object]:
    return {k: v for k, v in {"text": q.text, "near": q.near, "kinds": q.kinds,
                              "limit": q.limit}.items() if v is not None}


@app.command()
def bench(
    sizes: Annotated[str, typer.Option(help="Netwerkgroottes, komma-gescheiden.")]
    = "1000,10000,100000",
    n_queries: Annotated[int, typer.Option("--queries", min=20, max=5000)] = 200,
    cache: Annotated[Path | None, typer.Option(
        help="Embedding-cache om te hergebruiken (anders telt het coderen mee).")] = None,
    synthetic: Annotated[bool, typer.Option(
        "--synthetic", help="Willekeurige vectoren en kenmerken, zonder encoder of graaf: "
                            "de matchstap tot 2 miljoen leden.")] = False,
) -> None:
    """Meet inlezen (coderen per seconde) en matchtijden (p50/p95, in het proces en via HTTP)
    bij 1k, 10k en 100k leden, naast het kale numpy-inproduct, en de netwerkmaten (networkx
    naast igraph tot 10k, igraph bij 100k)."""
    settings = _settings()
    top = 2_000_000 if synthetic else 100_000
    try:
        counts = [int(s) for s in sizes.split(",") if s.strip()]
    except ValueError as e:
        console.print("[red]--sizes: geef getallen, bijvoorbeeld 1000,10000[/red]")
        raise typer.Exit(2) from e
    if not counts or any(not 1 <= c <= top for c in counts):
        console.print(f"[red]--sizes: elk getal tussen 1 en {top}[/red]")
        raise typer.Exit(2)
    if synthetic:
        from .bench_synthetic import bench_synthetic, synthetic_table

        console.print(synthetic_table([bench_synthetic(c, n_queries) for c in counts],
                                      n_queries))
        return
    rows = [bench_size(c, n_queries, settings, cache) for c in counts]
    console.print(bench_table(rows, n_queries))
    console.print(live_table(rows))
    console.print(analytics_table([(r.members, r.analytics) for r in rows if r.analytics]))
    worst = max(r.http_p95 for r in rows)
    console.print(f"Slechtste HTTP p95: {worst:.1f} ms (doel bij 100k: 50 ms)")


def bench_table(rows: list[Row], n_queries: int) -> Table:
    """One column per network size, one row per measurement."""
    table = Table(title=f"schakel bench: {n_queries} vragen per grootte, warm")
    table.add_column("meting")
    for r in rows:
        table.add_column(f"{r.members:,} leden".replace(",", "."), justify="right")
    lines: list[tuple[str, list[str]]] = [
        ("zaaien (s)", [f"{r.seed_s:.1f}" for r in rows]),
        ("inlezen + coderen (s)", [f"{r.ingest_s:.1f}" for r in rows]),
        ("gecodeerd", [str(r.encoded) for r in rows]),
        ("coderingen per s", [f"{r.encoded / r.ingest_s:.0f}" if r.encoded else "-"
                              for r in rows]),
        ("eerste antwoord na import, lege cache (s)",
         [f"{r.encode.first_answer_s:.1f}" if r.encode else "-" for r in rows]),
        ("coderen: model alleen / in de dienst (teksten/s)",
         [f"{r.encode.alone_per_s:.0f} / {r.encode.in_service_per_s:.0f}" if r.encode else "-"
          for r in rows]),
        ("in de dienst / model alleen (doel >= 0,9)",
         [f"{r.encode.in_service_per_s / r.encode.alone_per_s:.2f}"
          if r.encode and r.encode.alone_per_s else "-" for r in rows]),
        ("opnieuw inlezen (s)", [f"{r.reingest_s:.1f}" for r in rows]),
        ("opnieuw gecodeerd", [str(r.reencoded) for r in rows]),
        ("match p50 (ms)", [f"{r.p50:.1f}" for r in rows]),
        ("match p95 (ms)", [f"{r.p95:.1f}" for r in rows]),
        ("HTTP p50 (ms)", [f"{r.http_p50:.1f}" for r in rows]),
        ("HTTP p95 (ms)", [f"{r.http_p95:.1f}" for r in rows]),
        ("kaal numpy p50, vlak voor en na HTTP (ms)", [f"{r.raw_http_p50:.2f}" for r in rows]),
        ("HTTP p95 / kaal numpy (doel <= 2)",
         [f"{r.http_p95 / r.raw_http_p50:.2f}" if r.raw_http_p50 else "-" for r in rows]),
        ("dense-deel p50 (ms)", [f"{r.dense_p50:.2f}" for r in rows]),
        ("kaal numpy p50 (ms)", [f"{r.raw_p50:.2f}" for r in rows]),
        ("dense / numpy", [f"{r.dense_p50 / r.raw_p50:.2f}" if r.raw_p50 else "-"
                           for r in rows]),
        ("geheugen (RSS) van de server (MB)", [f"{r.rss_mb:.0f}" for r in rows]),
    ]
    for name, values in lines:
        table.add_row(name, *values)
    return table


def live_table(rows: list[Row]) -> Table:
    """What a write costs the next reader, per network size (milliseconds)."""
    table = Table(title="schakel bench: lezen na en tijdens schrijven (ms, in het proces)")
    table.add_column("meting")
    for r in rows:
        table.add_column(f"{r.members:,} leden".replace(",", "."), justify="right")
    lines = [
        ("match warm p50 / p95", lambda x: f"{x.warm_p50:.1f} / {x.warm_p95:.1f}"),
        ("profielwijziging + bijwerken leesmodellen p50 / p95",
         lambda x: f"{x.write_p50:.1f} / {x.write_p95:.1f}"),
        ("eerste match na profielwijziging p50 / p95",
         lambda x: f"{x.after_profile_p50:.1f} / {x.after_profile_p95:.1f}"),
        ("eerste match na stap in introductie p50 / p95",
         lambda x: f"{x.after_intro_p50:.1f} / {x.after_intro_p95:.1f}"),
        ("match tijdens 5 schrijfacties/s p50 / p95",
         lambda x: f"{x.loaded_p50:.1f} / {x.loaded_p95:.1f} ({x.loaded_writes} schrijfacties)"),
        ("eerste gefilterde kaart na schrijven p50 / p95",
         lambda x: f"{x.first_map_p50:.1f} / {x.first_map_p95:.1f}"),
        ("na profielwijziging / warm (p95; doel <= 2)",
         lambda x: f"{x.after_profile_p95 / x.warm_p95:.2f}" if x.warm_p95 else "-"),
        ("tijdens schrijven / rustig (p95; doel <= 2)",
         lambda x: f"{x.loaded_p95 / x.warm_p95:.2f}" if x.warm_p95 else "-"),
    ]
    for name, show in lines:
        table.add_row(name, *[show(r.live) if r.live else "-" for r in rows])
    return table
