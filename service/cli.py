"""The `schakel` command line."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schakel.errors import SchakelError
from schakel.graph.model import NODE_MODELS, REL_SCHEMA
from schakel.graph.store import GraphStore
from schakel.seeds.load import seed_store
from schakel.seeds.questions import seed_questions
from schakel.seeds.reference import VOCABULARY

from .application import exchange
from .config import Settings
from .state import open_store

app = typer.Typer(
    help="Schakel: matching en netwerkkaarten voor Netwerk Met Andere Ogen.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True, soft_wrap=True)

MembersOpt = Annotated[int | None, typer.Option(
    "--members", "-n", min=0, max=100_000,
    help="Aantal verzonnen demoleden (standaard 600, of SCHAKEL_MEMBERS).")]
SeedOpt = Annotated[int | None, typer.Option(
    "--seed", help="Startgetal voor de demoleden: hetzelfde getal geeft dezelfde leden.")]
HostOpt = Annotated[str | None, typer.Option("--host", help="Adres (standaard 127.0.0.1).")]
PortOpt = Annotated[int | None, typer.Option("--port", "-p", min=1, max=65535,
                                             help="Poort (standaard 8000, of SCHAKEL_PORT).")]


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValueError as e:
        console.print(f"[red]Ongeldige instelling:[/red] {e}")
        raise typer.Exit(2) from e


def _open(settings: Settings, kind: str | None = None) -> GraphStore:
    try:
        return open_store(settings, kind)
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e


def _where(settings: Settings, kind: str | None = None) -> str:
    if (kind or settings.store) == "neo4j":
        return f"{settings.neo4j_uri} (database {settings.neo4j_database or 'standaard'})"
    return str(settings.store_path)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _seed(store: GraphStore, settings: Settings) -> None:
    with _progress() as bar:
        task = bar.add_task(f"Zaaien ({settings.members} leden)", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        counts = seed_store(store, settings.members, settings.seed, progress=step)
    _print_counts(counts)


def _print_counts(counts: dict[str, dict[str, int]]) -> None:
    table = Table(title="Inhoud van de graaf")
    table.add_column("soort")
    table.add_column("aantal", justify="right")
    for label, n in counts["nodes"].items():
        table.add_row(label, str(n))
    for rel, n in counts["relationships"].items():
        table.add_row(f"-[{rel}]->", str(n))
    console.print(table)


def _serve(settings: Settings, store: GraphStore | None = None) -> None:
    import uvicorn

    from .app import create_app
    from .logs import configure

    console.print(f"Schakel draait op [bold]http://{settings.host}:{settings.port}[/bold] "
                  "(stoppen: Ctrl+C)")
    configure(settings.log_format)  # one line per request, with its id, by our middleware
    uvicorn.run(create_app(settings, store=store, warm_up=True), host=settings.host,
                port=settings.port, log_level="info", log_config=None, access_log=False)


@app.command()
def demo(members: MembersOpt = None, seed: SeedOpt = None, host: HostOpt = None,
         port: PortOpt = None) -> None:
    """Vul een lege graaf met de netwerkgegevens en demoleden, en start de server."""
    started = time.perf_counter()
    settings = _settings(members=members, seed=seed, host=host, port=port)
    store = _open(settings)
    try:
        if store.count("Member") == 0:
            _seed(store, settings)
        else:
            console.print(f"De graaf in {_where(settings)} heeft al "
                          f"{store.count('Member')} leden; zaaien overgeslagen.")
        asked = seed_questions(store)  # the brokering queue should not start empty
        if asked:
            console.print(f"{asked} voorbeeldvragen in de wachtrij op /makelen.")
        _print_demo_keys(settings, store)
        console.print(f"Klaar om te starten na {time.perf_counter() - started:.1f} s.")
        _serve(settings, store)
    finally:
        store.close()


def _print_demo_keys(settings: Settings, store: GraphStore) -> None:
    from .access import open_access
    from .cli_users import demo_keys

    ids = store.ids("Member")[:200]
    props = store.props_of(ids)
    member = next((i for i in ids if props[i].get("visibility") == "members"), None)
    access = open_access(settings, store)
    try:
        keys = demo_keys(access, member)
    finally:
        access.close()
    console.print("Inloggen (op /inloggen, of als 'Authorization: Bearer <sleutel>'):")
    console.print(f"  regiebureau (staff): [bold]{keys['staff']}[/bold]")
    if "member" in keys:
        console.print(f"  lid {member} (member): [bold]{keys['member']}[/bold]")


@app.command()
def seed(members: MembersOpt = None, seed: SeedOpt = None) -> None:
    """Schrijf de netwerkgegevens en demoleden in de graaf (opnieuw doen verandert niets)."""
    settings = _settings(members=members, seed=seed)
    store = _open(settings)
    try:
        _seed(store, settings)
    finally:
        store.close()


WorkersOpt = Annotated[int, typer.Option(
    "--workers", "-w", min=1, max=64,
    help="Aantal serverprocessen op dezelfde graaf (standaard 1).")]


@app.command()
def serve(host: HostOpt = None, port: PortOpt = None, workers: WorkersOpt = 1) -> None:
    """Start de server (API op /api/v1, pagina's op /)."""
    settings = _settings(host=host, port=port)
    store = _open(settings)  # a clear message, not a traceback, when the store is not there
    try:
        if workers == 1:
            _serve(settings, store)
            return
    finally:
        store.close()
    _serve_workers(settings, workers)


WORKER_HEALTHCHECK_S = 60


def _serve_workers(settings: Settings, workers: int) -> None:
    """N processes, each with its own app: uvicorn imports the factory in every worker, and
    each reads its settings from the environment, which carries the options given here."""
    import os

    import uvicorn

    os.environ.update({"SCHAKEL_HOST": settings.host, "SCHAKEL_PORT": str(settings.port)})
    console.print(f"Schakel draait op [bold]http://{settings.host}:{settings.port}[/bold] "
                  f"met {workers} processen (stoppen: Ctrl+C)")
    # uvicorn kills a worker that does not answer its ping within the health-check time
    # (default 5 s); a worker importing its models on a busy machine can take longer, and
    # was then killed and started again without end.
    uvicorn.run("schakel.service.workers:create_worker_app", factory=True, workers=workers,
                host=settings.host, port=settings.port, log_level="info", log_config=None,
                access_log=False, timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="JSON-uitwisselbestand of CSV met leden.")],
    batch_size: Annotated[int, typer.Option(min=1, max=10_000,
                                            help="Rijen per transactie.")] = 500,
    check: Annotated[bool, typer.Option(
        "--check", help="Alleen controleren en melden; niets opslaan.")] = False,
    mapping: Annotated[Path | None, typer.Option(
        "--map", exists=True, dir_okay=False, readable=True,
        help="YAML-koppelbestand: de woorden van het bestand naar Schakels namen.")] = None,
) -> None:
    """Lees organisaties, leden, praktijkvoorbeelden, groepen en relaties in.

    Goede rijen worden opgeslagen; elke foute rij wordt gemeld (fout: niet opgeslagen;
    waarschuwing: opgeslagen, een waarde gelezen als iets dat erop lijkt). Afsluitcode 1 als
    er fouten waren."""
    settings = _settings()
    try:
        doc = exchange.read_file(file)
        words = exchange.read_map(mapping) if mapping else None
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    store = _open(settings)
    try:
        with _progress() as bar:
            task = bar.add_task(f"{'Controleren' if check else 'Inlezen'} {file.name}",
                                total=exchange.rows_in(doc))
            report = exchange.import_rows(store, doc, batch_size=batch_size, mapping=words,
                                          check=check, progress=lambda n: bar.advance(task, n))
    finally:
        store.close()
    _print_report(report, file.name, check)
    if report.errors:
        raise typer.Exit(1)


def _print_report(report: Any, name: str, check: bool) -> None:
    done = "op te slaan" if check else "opgeslagen"
    table = Table(title=f"{'Controle' if check else 'Import'} van {name}")
    for col in ("onderdeel", "rijen", done, "fouten", "waarschuwingen"):
        table.add_column(col, justify="left" if col == "onderdeel" else "right")
    errors = Counter(e.section for e in report.errors)
    warned = Counter(w.section for w in report.warnings)
    for section, n in report.rows.items():
        if n:
            table.add_row(section, str(n), str(report.written.get(section, 0)),
                          str(errors[section]), str(warned[section]))
    console.print(table)
    if report.warnings:
        console.print(f"[bold]Waarschuwingen[/bold] ({len(report.warnings)}; {done}, "
                      "maar anders gelezen dan geschreven):")
        # One line per reading (a file says "kennis" a thousand times), with where it was.
        by_message: dict[str, list[Any]] = {}
        for warning in report.warnings:
            by_message.setdefault(warning.message, []).append(warning)
        for message, where in by_message.items():
            rows = ", ".join(f"{w.section} rij {w.row}" for w in where[:3])
            more = f" en {len(where) - 3} meer" if len(where) > 3 else ""
            console.print(f"  {message}: {rows}{more}", markup=False)
    if report.errors:
        console.print(f"[bold red]Fouten[/bold red] ({len(report.errors)}; niet {done}):")
        for error in report.errors:
            console.print(f"  {error}", markup=False, style="yellow")
        console.print(f"[red]{len(report.errors)} rij(en) niet {done}.[/red]")
    if check:
        console.print("Controle: er is niets opgeslagen.")


@app.command()
def export(
    file: Annotated[Path, typer.Argument(dir_okay=False,
                                         help="Doelbestand (.json), of - voor stdout.")],
) -> None:
    """Schrijf het netwerk als één JSON-uitwisselbestand (alle gegevens: voor beheerders)."""
    settings = _settings()
    if str(file) != "-" and not file.parent.is_dir():
        console.print(f"[red]De map {file.parent} bestaat niet.[/red]")
        raise typer.Exit(2)
    store = _open(settings)
    try:
        with console.status(f"Exporteren van {store.count('Member')} leden ..."):
            doc = exchange.export_all(store)
    finally:
        store.close()
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    if str(file) == "-":
        typer.echo(text)
        return
    try:
        file.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        console.print(f"[red]Kan {file} niet schrijven: {e}[/red]")
        raise typer.Exit(1) from e
    sizes = ", ".join(f"{len(doc[k])} {k}" for k in ("organisations", "members", "practices",
                                                     "communities", "relationships"))
    console.print(f"Geschreven naar {file}: {sizes}.")


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(file_okay=False,
                                           help="Map voor de backup (wordt gemaakt).")],
) -> None:
    """Maak een backup van de ingebouwde opslag (graaf en accounts), ook terwijl de server
    draait (SQLite online backup)."""
    from .application import backup as backups

    try:
        written = backups.backup(_settings(), target)
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    console.print("Backup geschreven: " + ", ".join(str(p) for p in written))


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(exists=True, file_okay=False,
                                           help="Map met een backup van schakel backup.")],
    force: Annotated[bool, typer.Option("--force", help="Vervang een graaf met leden.")] = False,
) -> None:
    """Zet een backup terug in de datamap. Stop eerst de server."""
    from .application import backup as backups

    try:
        written = backups.restore(_settings(), source, force=force)
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    console.print("Teruggezet: " + ", ".join(str(p) for p in written))


@app.command()
def info() -> None:
    """Laat zien waar de graaf staat en wat erin zit."""
    settings = _settings()
    store = _open(settings)
    try:
        console.print(f"Graaf: {_where(settings)}")
        _print_counts(store.counts())
        _print_meaning(settings)
    finally:
        store.close()


def _print_meaning(settings: Settings) -> None:
    """How far the server's background encoding got (noted in the embedding cache)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from schakel.matching.embeddings import EmbeddingCache

    from .views import meaning_text

    if not settings.embeddings_path.exists():
        return
    cache = EmbeddingCache(settings.embeddings_path)
    try:
        noted = cache.progress()
    finally:
        cache.close()
    if noted is not None:
        done, total, at = noted
        when = datetime.fromtimestamp(at, ZoneInfo("Europe/Amsterdam")).strftime("%d-%m %H:%M")
        state = "klaar" if done >= total else "bezig"
        console.print(f"{meaning_text(done, total)} ({state}, gemeten {when})")


@app.command()
def migrate(
    source: Annotated[str, typer.Option("--from", help="Bron: local of neo4j.")],
    target: Annotated[str, typer.Option("--to", help="Doel: local of neo4j.")],
    merge: Annotated[bool, typer.Option(
        "--merge", help="Ook als het doel al gegevens heeft (bijwerken en aanvullen).")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=50_000,
                                            help="Knopen of relaties per transactie.")] = 5000,
) -> None:
    """Kopieer de hele graaf van de ene opslag naar de andere (local naar neo4j of terug).

    Copy the whole graph between the embedded store and Neo4j. Running it again with
    --merge finishes an interrupted copy."""
    if {source, target} != {"local", "neo4j"}:
        console.print("[red]Kies --from local --to neo4j of --from neo4j --to local.[/red] "
                      "(Choose --from local --to neo4j, or the reverse.)")
        raise typer.Exit(2)
    settings = _settings()
    src = _open_side(settings, source, "bron", "source")
    try:
        dst = _open_side(settings, target, "doel", "target")
        try:
            _migrate(src, dst, settings, source, target, merge, batch_size)
        finally:
            dst.close()
    finally:
        src.close()


def _open_side(settings: Settings, kind: str, nl: str, en: str) -> GraphStore:
    try:
        return open_store(settings, kind)
    except SchakelError as e:
        console.print(f"[red]Het {nl} ({kind}, {_where(settings, kind)}) is niet te openen.[/red]"
                      f" (The {en} cannot be opened.)\n{e}")
        raise typer.Exit(1) from e


def _migrate(src: GraphStore, dst: GraphStore, settings: Settings, source: str, target: str,
             merge: bool, batch_size: int) -> None:
    try:
        # Places, domains and themes are in every store from its first open.
        held = sum(dst.count(label) for label in NODE_MODELS if label not in VOCABULARY)
        if held and not merge:
            console.print(f"[red]Het doel {_where(settings, target)} heeft al {held} knopen.[/red] "
                          "Gebruik --merge om bij te werken en aan te vullen. "
                          "(The target is not empty; use --merge.)")
            raise typer.Exit(1)
        total = src.count() + src.count_relationships()
        with _progress() as bar:
            task = bar.add_task(f"{source} -> {target}", total=total)
            for label in NODE_MODELS:
                batch = []
                for node in src.iter_nodes(label, batch_size):
                    batch.append(node)
                    if len(batch) == batch_size:
                        bar.advance(task, dst.write(batch).nodes)
                        batch = []
                bar.advance(task, dst.write(batch).nodes)
            for rel_type in REL_SCHEMA:
                rels = src.relationships(type=rel_type)
                for i in range(0, len(rels), batch_size):
                    bar.advance(task, dst.write(relationships=rels[i : i + batch_size])
                                .relationships)
        counts = dst.counts()
    except SchakelError as e:
        console.print(f"[red]Kopiëren afgebroken: {e}[/red]\nWat al gekopieerd is blijft staan; "
                      "nog eens draaien met --merge maakt het af. (Copy interrupted; run again "
                      "with --merge to finish.)")
        raise typer.Exit(1) from e
    _print_counts(counts)
    if not merge and counts != src.counts():
        console.print("[red]Het doel telt anders dan de bron.[/red] (Counts differ.)")
        raise typer.Exit(1)
    console.print(f"Gekopieerd naar {_where(settings, target)}.")


@app.command()
def analytics(
    top: Annotated[int, typer.Option(min=0, max=100, help="Toon de N grootste makelaars.")] = 10,
    backend: Annotated[str, typer.Option(
        help="auto (igraph vanaf 100 knopen), networkx (de referentie) of igraph.")] = "auto",
) -> None:
    """Bereken de netwerkmaten van alle zichtbare leden en laat zien hoe lang elke maat duurt."""
    from schakel.graph.analytics import BACKENDS

    if backend not in BACKENDS:
        console.print(f"[red]--backend: kies uit {', '.join(BACKENDS)}[/red]")
        raise typer.Exit(2)
    from schakel.graph.analytics import analyse
    from schakel.graph.projection import Projection

    settings = _settings()
    store = _open(settings)
    try:
        started = time.perf_counter()
        projection = Projection.build(store)  # members visible to members, by bulk reads
        g = projection.graph(projection.member_ids())
        built = time.perf_counter() - started
        with console.status(f"Netwerkmaten van {len(g)} leden ..."):
            started = time.perf_counter()
            result = analyse(g, seed=settings.seed, backend=backend)
            took = time.perf_counter() - started
    finally:
        store.close()
    table = Table(title=f"{len(g)} leden, {g.number_of_edges()} contacten "
                        f"({result.method['backend']})")
    table.add_column("stap")
    table.add_column("seconden", justify="right")
    table.add_row("graaf opbouwen", f"{built:.2f}")
    for step, seconds in result.timings.items():
        if step == "compiled":  # the compiled steps together (listed one by one already)
            continue
        note = result.method.get(step, "")
        table.add_row(f"{step} {note}".strip(), f"{seconds:.2f}")
    table.add_row("totaal", f"{built + took:.2f}")
    console.print(table)
    ranked = sorted(g, key=lambda v: -result.metrics["betweenness"][v])[:top]
    for v in ranked:
        roles = result.roles[v]
        console.print(f"{g.nodes[v]['name']} ({g.nodes[v]['domain']}): tussenpositie "
                      f"{result.metrics['betweenness'][v]:.4f}, makelaarsrollen {roles['total']}")


from . import (  # noqa: E402,F401 - they add their commands
    bench,
    bench_meet,
    cli_match,
    cli_signals,
    cli_users,
    loadtest,
)


def main() -> None:
    """The console entry point: logging to stderr, then the commands."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    app()
