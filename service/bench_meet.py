"""`schakel bench-voor-jou`: how long Voor jou takes on a scratch network of demo members
(building its read model, one member's suggestions, following a profile edit)."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Relationship
from schakel.matching.reciprocal import Reciprocal
from schakel.seeds.load import seed_store

from .cli import app, console


@app.command("bench-voor-jou")
def bench_for_you(
    members: Annotated[int, typer.Option(help="Leden in het netwerk.")] = 10_000,
    asks: Annotated[int, typer.Option(help="Leden om voor te zoeken.")] = 300,
    seed: Annotated[int, typer.Option(help="Seed van de demoleden.")] = 7,
) -> None:
    """Meet Voor jou: bouwen, zoeken per lid (p50/p95) en een profielwijziging volgen."""
    with tempfile.TemporaryDirectory(prefix="schakel-") as tmp, \
            LocalGraphStore(Path(tmp) / "graph.sqlite") as store:
        with console.status(f"Netwerk met {members} leden maken ..."):
            seed_store(store, members, seed)
        started = time.perf_counter()
        index = Reciprocal(store)
        built = time.perf_counter() - started
        # members who seek something (the others get an empty page at once)
        seeking = sorted(i for i, p in index.people.items() if p.seeks and p.offers)
        ids = random.Random(seed).sample(seeking, min(asks, len(seeking)))
        times, found = [], []
        for member_id in ids:
            started = time.perf_counter()
            found.append(len(index.suggest(member_id, 12)))
            times.append((time.perf_counter() - started) * 1000)
        edit = store.write(relationships=[Relationship.of("SEEKS", ids[0], "thuiszitters")])
        started = time.perf_counter()
        index.apply(store, edit.changes)
        follow = (time.perf_counter() - started) * 1000
    times.sort()
    table = Table(title=f"Voor jou bij {members} leden")
    table.add_column("meting")
    table.add_column("waarde", justify="right")
    table.add_row("read model bouwen (s)", f"{built:.2f}")
    table.add_row("suggesties per lid, p50 (ms)", f"{statistics.median(times):.1f}")
    table.add_row("suggesties per lid, p95 (ms)", f"{times[int(len(times) * 0.95) - 1]:.1f}")
    table.add_row("zoekende leden met minstens één suggestie",
                  f"{sum(1 for n in found if n)}/{len(ids)} (van {len(seeking)} zoekenden)")
    table.add_row("profielwijziging volgen (ms)", f"{follow:.1f}")
    console.print(table)
