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
