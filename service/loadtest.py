"""`schakel loadtest`: a server with N demo members and W worker processes on loopback,
driven by httpx + asyncio in three phases (reads only, writes only, both at once), each
bounded in time and in requests. Prints throughput, p50/p95/p99 per route and errors.

Reads are what staff and members do all day: a question to the matcher, a nearby search and
a member list; writes are members saving their profile text (each a text never encoded
before). The seeded network and its embeddings are kept in a data dir per size
(``~/.cache/schakel/loadtest-N`` or ``--data-dir``): the first run seeds and encodes once,
with a progress bar, before any worker starts; every run then serves a fresh copy of that
network, and each worker reads the vectors from the cache instead of encoding them."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.table import Table

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.seeds.load import seed_store

from .access import open_access
from .cli import _progress, _settings, app, console
from .config import Settings
from .served import serving
from .state import open_matcher

if TYPE_CHECKING:  # httpx comes with the test extra; the command imports it when it runs
    import httpx

QUESTIONS = ["Wie heeft ervaring met thuiszitters in de buurt van Emmen?",
             "Wie helpt een school met passend onderwijs bij autisme?",
             "Wie kent een goede aanpak voor schoolverzuim in Twente?",
             "Wie werkt aan de sterke pedagogische basis rond Utrecht?"]
PLACES = ["Emmen", "Zwolle", "Utrecht", "Rotterdam", "Enschede", "Groningen"]


@dataclass
class Phase:
    name: str
    seconds: float
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    started: float = 0.0
    ended: float = 0.0
    load: str = ""  # the machine's load average over the last minute when the phase ended

    @property
    def total(self) -> int:
        return sum(len(t) for t in self.times.values()) + sum(self.errors.values())

    def rate(self, routes: tuple[str, ...] | None = None) -> float:
        n = sum(len(t) for r, t in self.times.items() if routes is None or r in routes)
        return n / max(self.ended - self.started, 1e-9)


WARM_UP_S = 10.0
READS = ("POST /match", "GET /nearby", "GET /members")
WRITES = ("PUT /me",)


async def _reader(client: httpx.AsyncClient, staff: str, member: str, phase: Phase,
                  deadline: float, budget: list[int], rng: random.Random) -> None:
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        pick = rng.randrange(3)
        if pick == 0:
            route, call = READS[0], client.post(
                "/api/v1/match", headers={"Authorization": f"Bearer {staff}"},
                json={"text": rng.choice(QUESTIONS), "limit": 10})
        elif pick == 1:
            route, call = READS[1], client.get(
                "/api/v1/nearby", headers={"Authorization": f"Bearer {member}"},
                params={"q": "thuiszitters", "near": rng.choice(PLACES), "limit": 20})
        else:
            route, call = READS[2], client.get(
                "/api/v1/members", headers={"Authorization": f"Bearer {member}"},
                params={"region": rng.choice(PLACES), "limit": 25})
        await _timed(route, call, phase)


async def _writer(client: httpx.AsyncClient, key: str, phase: Phase, deadline: float,
                  budget: list[int], n: int, pause: float) -> None:
    i = 0
    while time.monotonic() < deadline and budget[0] > 0:
        if i and pause:
            await asyncio.sleep(pause)  # people save a profile now and then, not in a loop
        budget[0] -= 1
        i += 1
        text = (f"Ik werk aan thuiszitters en passend onderwijs; schrijver {n}, versie {i}, "
                f"{time.time_ns()}.")
        await _timed(WRITES[0], client.put("/api/v1/me", json={"profile": text},
                                           headers={"Authorization": f"Bearer {key}"}), phase)


async def _timed(route: str, call: object, phase: Phase) -> None:
    import httpx

    started = time.perf_counter()
    try:
        response = await call  # type: ignore[misc]
        ok = response.status_code < 400
    except httpx.HTTPError:
        ok = False
    if ok:
        phase.times[route].append(time.perf_counter() - started)
    else:
        phase.errors[route] += 1


async def run_phase(base: str, phase: Phase, *, readers: int, writers: list[str],
                    staff: str, member: str, max_requests: int, pause: float = 0.0) -> Phase:
    """One phase: ``readers`` readers and one writer per key in ``writers`` (each waiting
    ``pause`` seconds between writes), until the phase's time or ``max_requests`` is up."""
    import httpx

    budget = [max_requests]
    limits = httpx.Limits(max_connections=readers + len(writers) + 2)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        phase.started = time.monotonic()
        deadline = phase.started + phase.seconds
        rng = random.Random(7)
        tasks = [_reader(client, staff, member, phase, deadline, budget,
                         random.Random(rng.random())) for _ in range(readers)]
        tasks += [_writer(client, key, phase, deadline, budget, n, pause)
                  for n, key in enumerate(writers)]
        await asyncio.gather(*tasks)
        phase.ended = time.monotonic()
        phase.load = load_average().split()[0]
    return phase


def _keys(settings: Settings, writers: int) -> tuple[str, str, list[str]]:
    access = open_access(settings)
    try:
        staff = access.add_user("load-staff", "staff")
        with LocalGraphStore(settings.store_path) as store:
            ids = [i for i, p in store.props_of(store.ids("Member")[:400]).items()
                   if p.get("visibility") == "members"][: writers + 1]
        keys = [access.add_user(f"load-{i}", "member", mid) for i, mid in enumerate(ids)]
        return staff, keys[0], keys[1:]
    finally:
        access.close()


def table(phases: list[Phase]) -> Table:
    out = Table(title="Belasting: verzoeken per seconde en looptijd per route (ms)")
    for col in ("fase", "route", "verzoeken", "per s", "p50", "p95", "p99", "fouten",
                "belasting"):
        out.add_column(col, justify="left" if col in ("fase", "route") else "right")
    for phase in phases:
        for route in sorted(set(phase.times) | set(phase.errors)):
            t = np.array(phase.times.get(route) or [0.0]) * 1000
            out.add_row(phase.name, route, str(len(phase.times.get(route, []))),
                        f"{phase.rate((route,)):.1f}", f"{np.percentile(t, 50):.0f}",
                        f"{np.percentile(t, 95):.0f}", f"{np.percentile(t, 99):.0f}",
                        str(phase.errors.get(route, 0)), "")
        out.add_row(phase.name, "alles", str(phase.total - sum(phase.errors.values())),
                    f"{phase.rate():.1f}", "", "", "", str(sum(phase.errors.values())),
                    phase.load)
    return out


def kept_dir(members: int, seed: int) -> Path:
    """Where a network of this size is kept between runs."""
    return Path.home() / ".cache" / "schakel" / f"loadtest-{members}-s{seed}"


def prepare(kept: Path, members: int, seed: int, settings: Settings) -> Path:
    """The seeded network in ``kept`` (made once) with every text in its embedding cache
    (encoded once, in this process, with a bar): the server's workers then only read.
    Returns the network's file; runs serve a copy of it."""
    from .bench import sync_with_progress  # bench imports the CLI, which imports this

    kept.mkdir(parents=True, exist_ok=True)
    network = kept / "netwerk.sqlite"
    cache = settings.model_copy(update={"data_dir": kept, "embeddings": kept / "embeddings.sqlite",
                                        "store": "local"})
    if not network.exists():  # seeded into a side file: an interrupted run starts over
        part = kept / "netwerk.sqlite.deel"
        part.unlink(missing_ok=True)
        with LocalGraphStore(part) as store, _progress() as bar:
            task = bar.add_task(f"Testnetwerk met {members} leden maken", total=None)
            seed_store(store, members, seed,
                       progress=lambda d, t: bar.update(task, completed=d, total=t))
        part.rename(network)
    # The encoder's name in the marker: another encoder needs its own vectors.
    done = kept / f"klaar-{settings.encoder}-{Path(settings.encoder_model or '-').name}"
    if done.exists():
        return network
    with LocalGraphStore(network) as store, _progress() as bar:
        matcher = open_matcher(cache, Gazetteer.load())
        sync_with_progress(bar, matcher, store)  # encodes only what the cache lacks
        if matcher.learn_themes:  # its texts go into the cache too
            bar.add_task("Thema's leren uit het netwerk", total=None)
            matcher.themes_learned.wait()
        matcher.encoder.cache.close()
    done.touch()
    return network


def copy_network(network: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup API): the run writes to the copy only."""
    source, dest = sqlite3.connect(network), sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


@app.command()
def loadtest(
    members: Annotated[int, typer.Option("-n", min=10, max=100_000,
                                         help="Demoleden in het testnetwerk.")] = 1000,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Serverprocessen.")] = 2,
    seconds: Annotated[float, typer.Option(min=1, max=600, help="Duur per fase.")] = 20,
    readers: Annotated[int, typer.Option(min=1, max=64, help="Gelijktijdige lezers.")] = 8,
    writers: Annotated[int, typer.Option(min=0, max=32, help="Gelijktijdige schrijvers.")] = 4,
    max_requests: Annotated[int, typer.Option(min=10, help="Hoogstens per fase.")] = 100_000,
    pause: Annotated[float, typer.Option(
        min=0, max=60, help="Seconden tussen twee schrijfacties van een schrijver (gemengd).")
    ] = 0.2,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", file_okay=False,
        help="Map die het testnetwerk en zijn embeddings bewaart tussen runs "
             "(standaard ~/.cache/schakel/loadtest-N-sZAAD).")] = None,
) -> None:
    """Belast een eigen testserver (alleen op 127.0.0.1) met lezen, schrijven en beide, en
    toon doorvoer en p50/p95/p99 per route. Het testnetwerk wordt één keer gemaakt en
    bewaard; elke run gebruikt een kopie ervan, dus schrijven verandert het bewaarde niet."""
    settings = _settings()
    kept = (data_dir or kept_dir(members, settings.seed)).expanduser().resolve()
    network = prepare(kept, members, settings.seed, settings)
    before = load_average()
    with tempfile.TemporaryDirectory(prefix="schakel-load-") as tmp:
        scratch = settings.model_copy(update={"data_dir": Path(tmp), "store": "local",
                                              "embeddings": kept / "embeddings.sqlite"})
        copy_network(network, scratch.store_path)
        staff, member, writer_keys = _keys(scratch, writers)
        phases = run_against_server(scratch, workers, seconds, readers, writer_keys, staff,
                                    member, max_requests, pause)
    console.print(f"Belasting van de machine (1, 5, 15 min) bij de start: {before}; "
                  "in de tabel: aan het eind van elke fase.")
    console.print(table(phases))
    mixed, reads = phases[2], phases[0]
    kept_share = mixed.rate(READS) / max(reads.rate(READS), 1e-9)
    console.print(f"Lezen tijdens schrijven: {kept_share:.0%} van de doorvoer zonder schrijven.")
    if any(p.errors for p in phases):
        raise typer.Exit(1)


def load_average() -> str:
    """The machine's load over 1, 5 and 15 minutes (as `uptime`): figures from a busy
    machine say so."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "onbekend"


def run_against_server(scratch: Settings, workers: int, seconds: float, readers: int,
                       writer_keys: list[str], staff: str, member: str, max_requests: int,
                       pause: float) -> list[Phase]:
    started = time.monotonic()
    with serving(scratch, workers, {"SCHAKEL_RATE_WRITES": "1000000/minute"}) as (base, _, ready):
        console.print(f"Server klaar na {ready:.0f} s, klaar met voorbereiden na "
                      f"{time.monotonic() - started:.0f} s.")
        with console.status("Opwarmen ..."):  # each worker's caches, not measured
            asyncio.run(run_phase(base, Phase("opwarmen", min(WARM_UP_S, seconds)),
                                  readers=readers, writers=[], staff=staff, member=member,
                                  max_requests=max_requests))
        phases = [Phase("lezen", seconds), Phase("schrijven", seconds),
                  Phase("gemengd", seconds)]
        # Writes alone as fast as they go (their capacity); beside reads at a person's pace.
        plans = [(readers, [], 0.0), (0, writer_keys, 0.0), (readers, writer_keys, pause)]
        for phase, (r, w, p) in zip(phases, plans, strict=True):
            with console.status(f"Fase {phase.name} ({seconds:.0f} s) ..."):
                asyncio.run(run_phase(base, phase, readers=r, writers=w, staff=staff,
                                      member=member, max_requests=max_requests, pause=p))
        return phases


