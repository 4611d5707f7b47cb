"""`schakel signals`: signals from a spreadsheet, and the agenda brief of a cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from schakel.errors import SchakelError

from .application import signals as uc
from .application.lifecycle import opened
from .cli import _open, _settings, app, console

signals = typer.Typer(help="Signaleren en agenderen: signalen inlezen, agendabrief maken.",
                      no_args_is_help=True)
app.add_typer(signals, name="signals")


@signals.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="CSV met een kolom 'tekst' (zie README).")],
    who: Annotated[str, typer.Option("--who", help="Wie inleest (komt in de geschiedenis).")]
    = "regiebureau",
) -> None:
    """Lees signalen uit een spreadsheet. Elke goede rij wordt heel opgeslagen, elke foute
    rij gemeld (rij, veld, reden); afsluitcode 1 als er fouten waren."""
    settings = _settings()
    store = _open(settings)
    try:
        with opened(settings, store) as ctx:
            report = uc.import_csv(ctx, file, who)
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    finally:
        store.close()
    table = Table(title=f"Signalen uit {file.name}")
    for col in ("rijen", "opgeslagen", "fout"):
        table.add_column(col, justify="right")
    table.add_row(str(report.rows["signals"]), str(report.written.get("signals", 0)),
                  str(len(report.errors)))
    console.print(table)
    for error in report.errors:
        console.print(f"[yellow]{str(error).replace('signals rij', 'rij')}[/yellow]")
    if report.errors:
        console.print(f"[red]{len(report.errors)} rij(en) niet opgeslagen.[/red]")
        raise typer.Exit(1)


@signals.command("brief")
def brief_(
    key: Annotated[str, typer.Argument(help="Id van een cluster, of van een signaal (dan "
                                            "het cluster waar het in zit).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", dir_okay=False,
                                             help="Schrijf de Markdown naar dit bestand.")]
    = None,
) -> None:
    """De agendabrief van een cluster als Markdown (de pagina /signalen/clusters/ID/brief
    toont hem om af te drukken)."""
    from .application.signal_brief import brief, markdown

    settings = _settings()
    store = _open(settings)
    try:
        with opened(settings, store) as ctx:
            with console.status("Teksten voorbereiden (alleen nieuwe teksten) ..."):
                ctx.warm_up()
            text = markdown(brief(ctx, key))
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    finally:
        store.close()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Agendabrief geschreven naar {out}.")


@signals.command("bench")
def bench(
    sizes: Annotated[str, typer.Option("--sizes", help="Aantallen signalen, komma's ertussen.")]
    = "1000,10000",
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Meet hoe lang clusteren duurt op gegenereerde signalen (met bekende groepen): het
    coderen van de teksten (eenmalig, daarna uit de cache) en het clusteren zelf."""
    import time
    from datetime import date

    from sklearn.metrics import adjusted_rand_score

    from schakel.matching.embeddings import CachedEncoder, EmbeddingCache, make_encoder
    from schakel.matching.signals.clusters import Item, clusters
    from schakel.matching.signals.generate import generate

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(settings.embeddings_path)  # a second run encodes nothing
    encoder = CachedEncoder(make_encoder(settings.encoder, settings.encoder_model), cache)
    table = Table(title="schakel signals bench")
    for col in ("signalen", "coderen (s)", "clusteren (s)", "clusters", "los", "ARI",
                "opkomend"):
        table.add_column(col, justify="right")
    today = date(2026, 6, 1)
    for n in [int(x) for x in sizes.split(",") if x.strip()]:
        gen = generate(n, seed=seed, today=today)
        started = time.perf_counter()
        with console.status(f"{n} teksten coderen ..."):
            vectors = encoder.encode([g.text for g in gen])
        encoded = time.perf_counter() - started
        items = [Item(g.id, g.text, g.themes, g.day) for g in gen]
        started = time.perf_counter()
        found, loose = clusters(items, vectors, today=today)
        took = time.perf_counter() - started
        label = {s: k for k, c in enumerate(found) for s in c.signals}
        ari = adjusted_rand_score([g.group for g in gen],
                                  [label.get(g.id, -1 - i) for i, g in enumerate(gen)])
        table.add_row(str(n), f"{encoded:.1f}", f"{took:.2f}", str(len(found)),
                      str(len(loose)), f"{ari:.3f}", str(sum(c.emerging for c in found)))
    cache.close()
    console.print(table)
