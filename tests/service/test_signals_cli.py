"""`schakel signals import`: good rows stored whole, bad rows reported in Dutch per row."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Signal
from schakel.service.cli import app

runner = CliRunner()

CSV = """tekst;ingebracht_door;kanaal;urgentie;thema's;plaats;datum
Leerlingen wachten maanden op jeugdhulp.;;intake;hoog;thuiszitters;Emmen;2026-01-05
Geen geld voor de brug tussen school en zorg.;org-nji;gesprek;;;;2026-01-06
Nu;;;;;;2026-01-07
Onderwijs en zorg praten langs elkaar heen.;;fax;;;;2026-01-08
De wijkteams weten de school niet te vinden.;;;;bestaat-niet;;2026-01-09
"""


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"SCHAKEL_DATA_DIR": str(data_dir)})
    return result.exit_code, result.output


def test_signals_import_reports_each_bad_row_and_stores_good_ones_whole(tmp_path: Path
                                                                         ) -> None:
    data = tmp_path / "data"
    assert run(data, "seed", "-n", "0")[0] == 0
    sheet = tmp_path / "signalen.csv"
    sheet.write_text(CSV, encoding="utf-8")
    code, out = run(data, "signals", "import", str(sheet))
    assert code == 1, out
    assert "rij 4" in out and "channel" in out and "kies uit" in out
    assert "rij 5" in out and "onbekend thema: 'bestaat-niet'" in out
    assert "rij 3" in out and "3 tot 5000 tekens" in out
    with LocalGraphStore(data / "schakel.sqlite") as store:
        signals = [s for s in store.find("Signal") if isinstance(s, Signal)]
        assert sorted(s.text for s in signals) == [
            "Geen geld voor de brug tussen school en zorg.",
            "Leerlingen wachten maanden op jeugdhulp."]
        first = next(s for s in signals if s.text.startswith("Leerlingen"))
        assert (first.channel, first.urgency, first.created) == ("intake", "hoog",
                                                                 "2026-01-05")
        assert store.neighbour_ids(first.id, "IN_REGION") == ["gm-emmen"]
        assert store.neighbour_ids(first.id, "RAISED_BY") == []  # anonymous
        assert "signaal geïmporteerd" in first.history[0]
        version = store.version
    code, out = run(data, "signals", "import", str(sheet))  # again: the same signals
    with LocalGraphStore(data / "schakel.sqlite") as store:
        assert store.count("Signal") == 2
        assert store.version > version  # rewritten, not doubled


def test_signals_brief_writes_markdown(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "seed", "-n", "20")[0] == 0
    sheet = tmp_path / "signalen.csv"
    sheet.write_text(CSV, encoding="utf-8")
    run(data, "signals", "import", str(sheet))
    with LocalGraphStore(data / "schakel.sqlite") as store:
        sid = next(s.id for s in store.find("Signal") if isinstance(s, Signal)
                   and s.text.startswith("Leerlingen"))
    out = tmp_path / "brief.md"
    code, text = run(data, "signals", "brief", sid, "-o", str(out))
    assert code == 0, text
    brief = out.read_text(encoding="utf-8")
    assert brief.startswith("# Agendabrief: Thuiszitters")
    assert "Leerlingen wachten maanden op jeugdhulp." in brief and "## Voorstel" in brief
    assert run(data, "signals", "brief", "bestaat-niet")[0] == 2
