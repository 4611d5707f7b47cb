"""The `schakel` command line."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schakel.errors import SchakelError
from schakel.graph.exchange import export_document, import_document, read_document
from schakel.graph.store import GraphStore
from schakel.seeds.load import seed_store

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


def _open(settings: Settings) -> GraphStore:
    try:
        return open_store(settings)
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e


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

    console.print(f"Schakel draait op [bold]http://{settings.host}:{settings.port}[/bold] "
                  "(stoppen: Ctrl+C)")
    uvicorn.run(create_app(settings, store=store, warm_up=True), host=settings.host,
                port=settings.port, log_level="info")


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
            console.print(f"De graaf in {settings.data_dir} heeft al "
                          f"{store.count('Member')} leden; zaaien overgeslagen.")
        console.print(f"Klaar om te starten na {time.perf_counter() - started:.1f} s.")
        _serve(settings, store)
    finally:
        store.close()


@app.command()
def seed(members: MembersOpt = None, seed: SeedOpt = None) -> None:
    """Schrijf de netwerkgegevens en demoleden in de graaf (opnieuw doen verandert niets)."""
    settings = _settings(members=members, seed=seed)
    store = _open(settings)
    try:
        _seed(store, settings)
    finally:
        store.close()


@app.command()
def serve(host: HostOpt = None, port: PortOpt = None) -> None:
    """Start de server (API op /api/v1, pagina's op /)."""
    _serve(_settings(host=host, port=port))


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="JSON-uitwisselbestand of CSV met leden.")],
    batch_size: Annotated[int, typer.Option(min=1, max=10_000,
                                            help="Rijen per transactie.")] = 500,
) -> None:
    """Lees organisaties, leden, praktijkvoorbeelden, groepen en relaties in.

    Goede rijen worden opgeslagen; elke foute rij wordt gemeld. Afsluitcode 1 als er
    fouten waren."""
    settings = _settings()
    try:
        doc = read_document(file)
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    total = sum(len(doc.get(k) or []) for k in doc if isinstance(doc.get(k), list))
    store = _open(settings)
    try:
        with _progress() as bar:
            task = bar.add_task(f"Inlezen {file.name}", total=total)
            report = import_document(store, doc, batch_size=batch_size,
                                     progress=lambda n: bar.advance(task, n))
    finally:
        store.close()
    table = Table(title=f"Import van {file.name}")
    for col in ("onderdeel", "rijen", "opgeslagen"):
        table.add_column(col, justify="left" if col == "onderdeel" else "right")
    for section, n in report.rows.items():
        if n:
            table.add_row(section, str(n), str(report.written.get(section, 0)))
    console.print(table)
    for error in report.errors:
        console.print(f"[yellow]{error}[/yellow]")
    if report.errors:
        console.print(f"[red]{len(report.errors)} rij(en) niet opgeslagen.[/red]")
        raise typer.Exit(1)


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
            doc = export_document(store)
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
def info() -> None:
    """Laat zien waar de graaf staat en wat erin zit."""
    settings = _settings()
    store = _open(settings)
    try:
        console.print(f"Graaf: {settings.store_path}")
        _print_counts(store.counts())
    finally:
        store.close()


@app.command()
def analytics(
    top: Annotated[int, typer.Option(min=0, max=100, help="Toon de N grootste makelaars.")] = 10,
) -> None:
    """Bereken de netwerkmaten van alle zichtbare leden en laat zien hoe lang elke maat duurt."""
    from schakel.graph.analytics import analyse
    from schakel.graph.network import member_network
    from schakel.graph.privacy import visible

    settings = _settings()
    store = _open(settings)
    try:
        started = time.perf_counter()
        snap = store.snapshot()
        ids = store.ids("Member")
        props = store.props_of(ids)
        g = member_network(snap, [i for i in ids if visible(props[i])])
        built = time.perf_counter() - started
        with console.status(f"Netwerkmaten van {len(g)} leden ..."):
            result = analyse(g, seed=settings.seed)
    finally:
        store.close()
    table = Table(title=f"{len(g)} leden, {g.number_of_edges()} contacten")
    table.add_column("stap")
    table.add_column("seconden", justify="right")
    table.add_row("graaf opbouwen", f"{built:.2f}")
    for step, seconds in result.timings.items():
        note = result.method.get(step, "")
        table.add_row(f"{step} {note}".strip(), f"{seconds:.2f}")
    table.add_row("totaal", f"{built + sum(result.timings.values()):.2f}")
    console.print(table)
    ranked = sorted(g, key=lambda v: -result.metrics["betweenness"][v])[:top]
    for v in ranked:
        roles = result.roles[v]
        console.print(f"{g.nodes[v]['name']} ({g.nodes[v]['domain']}): tussenpositie "
                      f"{result.metrics['betweenness'][v]:.4f}, makelaarsrollen {roles['total']}")


from . import bench, cli_match  # noqa: E402,F401 - they add their commands to `app`


def main() -> None:
    """The console entry point: logging to stderr, then the commands."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    app()
