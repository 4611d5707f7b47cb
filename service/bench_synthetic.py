"""`schakel bench --synthetic`: the match path at sizes no demo network reaches (1M members),
on random unit vectors and random attributes, without an encoder or a graph.

Per question it does what the matcher does per member row: the int8 scan (simsimd), the
filters (consent, a role), theme, place, domain and role signals, the weighted sum, the top
candidates, and their rescoring with the float32 question against their decoded codes.
Beside it: a float32 scan of the same vectors in memory, and the
process's anonymous memory (RssAnon) with the int8 index alone and with the float32 matrix.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.table import Table
from scipy import sparse

from schakel.matching.blocks import BLOCK, RowBlocks
from schakel.matching.catalog import bits
from schakel.matching.engine import RESCORE, _dense
from schakel.matching.features import _best_of
from schakel.matching.quantised import Int8Rows, quantise
from schakel.matching.ranker import Weights, combine
from schakel.matching.vectors import top_k

__all__ = ["SyntheticRow", "bench_synthetic"]

DIM, THEMES, PLACES, DOMAINS, ROLES = 512, 60, 400, 6, 5


@dataclass
class SyntheticRow:
    members: int
    build_s: float
    p50: float  # whole synthetic match (int8 scan, signals, top-k, rescoring)
    p95: float
    int8_scan_p50: float
    f32_scan_p50: float
    f32_scan_p95: float
    rss_int8_mb: float  # the process with the int8 index and attributes
    rss_f32_mb: float  # the same plus the float32 matrix
    int8_mb: float
    f32_mb: float


def process_mb(field: str, pid: int | str = "self") -> float:
    """One memory figure of a process (this one) from /proc/<pid>/status, in MB (0 where
    missing)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_anon_mb() -> float:
    """Anonymous resident memory of this process (file pages, e.g. the float32 file, excluded)."""
    return process_mb("RssAnon")


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def bench_synthetic(n: int, n_queries: int = 200, seed: int = 7) -> SyntheticRow:
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(prefix="schakel-synth-") as tmp:
        f32_path = Path(tmp) / "vectors.f32"
        t = time.perf_counter()
        codes, scales = [], []
        # the float32 matrix goes to a file (for the scan beside ours), never all in memory
        with f32_path.open("wb") as out:
            for lo in range(0, n, BLOCK):
                x = rng.standard_normal((min(BLOCK, n - lo), DIM), dtype=np.float32)
                x /= np.linalg.norm(x, axis=1, keepdims=True)
                c, s = quantise(x)
                codes.append(c)
                scales.append(s)
                out.write(x.tobytes())
        index = Int8Rows(RowBlocks(codes, DIM, np.int8), np.concatenate(scales))
        del codes, scales
        per_row = rng.integers(1, 4, n)
        themes = sparse.csr_matrix(
            (rng.integers(1, 4, per_row.sum()).astype(np.float32) / 3,
             rng.integers(0, THEMES, per_row.sum()), np.concatenate([[0], np.cumsum(per_row)])),
            shape=(n, THEMES))
        anchor = rng.integers(0, PLACES, n)
        domains = bits((rng.random((n, DOMAINS)) < 0.3).astype(np.float32))
        roles_has = (rng.random((n, ROLES)) < 0.15).astype(np.float32)
        roles = bits(roles_has)
        allowed = rng.random(n) < 0.9
        availability = rng.random(n).astype(np.float32)
        build_s = time.perf_counter() - t
        rss_int8 = rss_anon_mb()

        w = Weights()
        times, scans = [], []
        for i in range(n_queries):
            q = rng.standard_normal(DIM).astype(np.float32)
            q /= np.linalg.norm(q)
            tvec = np.zeros(THEMES, dtype=np.float32)
            tvec[rng.integers(0, THEMES, 2)] = 1.0
            near = rng.random(PLACES).astype(np.float32)
            start = time.perf_counter()
            mask = allowed.copy()
            if i % 3 == 0:  # "an expert": one role
                mask &= roles_has[:, 1] > 0
            s = time.perf_counter()
            cos = index.dot(q)
            scans.append(_ms(s))
            cos[~mask] = 0.0
            signals = {"dense": _dense(cos, mask),  # the rows' bits stand in for their arrays
                       "theme": np.minimum(1.0, themes @ tvec / 2).astype(np.float32),
                       "geo": near[anchor],
                       "domain": _best_of(np.zeros((0, DOMAINS)), np.full(DOMAINS, 0.5,
                                                                          np.float32), domains),
                       "role": _best_of(roles_has, np.eye(ROLES, dtype=np.float32)[1], roles),
                       "availability": availability}
            k = 30
            rows = np.union1d(top_k(combine(w, signals, n), RESCORE * k, mask),
                              top_k(cos, k, mask))
            cos[rows] = index.take(rows) @ q
            signals["dense"] = _dense(cos, mask)
            top_k(combine(w, signals, n), k, mask)
            times.append(_ms(start))

        matrix = np.fromfile(f32_path, dtype=np.float32).reshape(n, DIM)  # in memory now
        rss_f32 = rss_anon_mb()
        f32 = []
        for _ in range(min(n_queries, 100)):
            q = rng.standard_normal(DIM).astype(np.float32)
            start = time.perf_counter()
            matrix @ q
            f32.append(_ms(start))
        del matrix
    return SyntheticRow(n, build_s, _pct(times, 50), _pct(times, 95), _pct(scans, 50),
                        _pct(f32, 50), _pct(f32, 95), rss_int8, rss_f32,
                        index.nbytes / 2**20, n * DIM * 4 / 2**20)


def synthetic_table(rows: list[SyntheticRow], n_queries: int) -> Table:
    table = Table(title=f"schakel bench --synthetic: {n_queries} vragen, willekeurige vectoren "
                        f"({DIM} dimensies) en kenmerken")
    table.add_column("meting")
    for r in rows:
        table.add_column(f"{r.members:,} leden".replace(",", "."), justify="right")
    lines = [
        ("opbouwen (s)", lambda r: f"{r.build_s:.1f}"),
        ("match int8 + herscoren p50 / p95 (ms)", lambda r: f"{r.p50:.1f} / {r.p95:.1f}"),
        ("waarvan int8-scan p50 (ms)", lambda r: f"{r.int8_scan_p50:.1f}"),
        ("float32-scan p50 / p95 (ms)", lambda r: f"{r.f32_scan_p50:.1f} / {r.f32_scan_p95:.1f}"),
        ("match p95 / float32-scan p95 (doel <= 2)",
         lambda r: f"{r.p95 / r.f32_scan_p95:.2f}" if r.f32_scan_p95 else "-"),
        ("vectoren int8 / float32 (MB)", lambda r: f"{r.int8_mb:.0f} / {r.f32_mb:.0f}"),
        ("geheugen proces met int8 / met float32 erbij (MB)",
         lambda r: f"{r.rss_int8_mb:.0f} / {r.rss_f32_mb:.0f}"),
    ]
    for name, show in lines:
        table.add_row(name, *[show(r) for r in rows])
    return table
