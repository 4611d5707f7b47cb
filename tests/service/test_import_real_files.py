"""Imports that files written by other tools survive: the network's own words (theme labels
"A / B / C", organisation kinds like "basisschool", domain "kennis", "CoP"), an empty data
dir, `--check` and `--map`. Every value not read exactly is a warning; nothing silent."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from schakel.graph.exchange import import_document
from schakel.graph.local import LocalGraphStore
from schakel.graph.names import fold
from schakel.seeds.reference import ensure_vocabulary
from schakel.service.cli import app

runner = CliRunner()

# Theme labels as DOMAIN.md writes them, with the theme each stands for.
LABELS = {
    "Thuiszitters / thuiszittersaanpak / schoolverzuim": "thuiszitters",
    "LVB (licht verstandelijke beperking)": "lvb",
    "Preventie / preventieve beweging": "preventie",
    "Privacy / AVG / gegevensdeling": "privacy_avg",
    "Regievoering / regierol van gemeenten / netwerkregie": "regievoering",
    "Veiligheid": "veiligheid",
    "Netwerken en samenwerken": "netwerken_samenwerken",
    "Monitoring (op niveau van afspraken)": "monitoring",
}
# Organisation kinds as people write them, with Schakel's kind.
KINDS = {"basisschool": "school", "ziekenhuis": "zorgaanbieder",
         "hogeschool": "hogeschool-universiteit", "GGD": "ggd-jgz", "Wijkteam": "wijkteam",
         "Kinderopvang": "kinderopvang", "sectorraad": "koepel",
         "onderzoeks-/adviesbureau": "adviesbureau", "stichting voor sport": "overig"}
DOMAINS = {"kennis": "wetenschap", "Onderwijs": "onderwijs", "jeugdzorg": "jeugdhulp",
           "Zorg": "zorg", "Kennis en onderzoek": "wetenschap"}
PLACES = ["Enschede", "Den Haag", "Emmen", "Leeuwarden", "Enschde", "Zwolle"]


def network_document(members: int = 200, seed: int = 3) -> dict[str, Any]:
    """A file another tool wrote in the network's own vocabulary (names are made up)."""
    rng = random.Random(seed)
    orgs = [{"id": f"ext-org-{i}", "name": f"Organisatie {i} ({kind})", "kind": kind,
             "relation": rng.choice(["Kernpartner", "lid", "Kennispartner"]),
             "domains": [rng.choice(list(DOMAINS))], "gemeente": rng.choice(PLACES)}
            for i, kind in enumerate(KINDS)]
    people = [{"id": f"ext-m-{i}", "name": f"Lid {i}", "function": "intern begeleider",
               "organisation": rng.choice(orgs)["name"], "gemeente": rng.choice(PLACES),
               "domains": rng.sample(list(DOMAINS), 2), "themes": rng.sample(list(LABELS), 2),
               "roles": rng.sample(["Expert", "ambassadeur", "verbinder"], 1),
               "visibility": rng.choice(["Leden", "members", "STAFF"])}
              for i in range(members)]
    communities = [{"id": "ext-com-1", "name": "Leerkring thuiszitters", "kind": "CoP",
                    "themes": [next(iter(LABELS))], "members": ["ext-m-0", "ext-m-1"]}]
    practices = [{"id": "ext-pr-1", "title": "Samen op weg", "summary": "Een aanpak.",
                  "themes": list(LABELS)[:3], "gemeenten": ["Enschede", "Regio Twente"]}]
    knows = [{"type": "knows", "from": f"ext-m-{i}", "to": f"ext-m-{i + 1}"}
             for i in range(0, members - 1, 2)]
    return {"organisations": orgs, "members": people, "communities": communities,
            "practices": practices, "relationships": knows}


def exactly(value: str, stored: str) -> bool:
    return fold(value) == fold(stored)


def test_a_document_in_the_networks_words_is_stored_with_warnings(tmp_path: Path) -> None:
    doc = network_document()
    with LocalGraphStore(tmp_path / "s.sqlite") as store:
        ensure_vocabulary(store)  # what every store holds from its first open
        report = import_document(store, json.loads(json.dumps(doc)))
        rows = sum(report.rows.values())
        stored = sum(report.written.values())
        assert report.errors == [], [str(e) for e in report.errors[:5]]
        assert stored / rows >= 0.99
        warned = {(w.section, w.row, w.field) for w in report.warnings}
        # Every value that was not read exactly (beyond case and accents) is warned about.
        for i, row in enumerate(doc["members"], start=1):
            member = store.require(row["id"])
            themes = set(store.neighbour_ids(member.id, "WORKS_ON"))
            assert themes == {LABELS[t] for t in row["themes"]}
            for j, label in enumerate(row["themes"]):
                assert (("members", i, f"themes[{j}]") in warned) == (
                    not exactly(label, store.require(LABELS[label]).name))
            assert store.neighbour_ids(member.id, "BASED_IN") == [
                "gm-enschede" if row["gemeente"] == "Enschde" else
                store.require(store.neighbour_ids(member.id, "BASED_IN")[0]).id]
            assert (("members", i, "gemeente") in warned) == (row["gemeente"] == "Enschde")
            assert ("members", i, "roles[0]") in warned or row["roles"][0] != "ambassadeur"
            assert member.visibility in ("members", "staff")
        for i, row in enumerate(doc["organisations"], start=1):
            assert store.require(row["id"]).kind == KINDS[row["kind"]]
            assert (("organisations", i, "kind") in warned) == (
                not exactly(row["kind"], KINDS[row["kind"]]))
        assert store.require("ext-com-1").kind == "cop"
        assert len(store.relationships(type="KNOWS")) >= 100
    by_text = {w.message for w in report.warnings}
    assert "las 'kennis' als 'Kennis en onderzoek' (lijkt er sterk op)" in by_text
    assert "las 'Enschde' als 'Enschede' (lijkt er sterk op)" in by_text
    assert "onbekende soort 'stichting voor sport', opgeslagen als 'overig'" in by_text
    assert ("las 'Thuiszitters / thuiszittersaanpak / schoolverzuim' als 'Thuiszitters'"
            in by_text)


def test_guesses_stay_errors_below_the_bar(tmp_path: Path) -> None:
    with LocalGraphStore(tmp_path / "s.sqlite") as store:
        ensure_vocabulary(store)
        report = import_document(store, {"members": [
            {"id": "x-1", "name": "A", "gemeente": "Nergenshuizen"},  # no "Huizen" inside
            {"id": "x-2", "name": "B", "themes": ["klimaat / energie"]},
            {"id": "x-3", "name": "C", "domains": ["zo"]},
            {"id": "x-4", "name": "D", "gemeente": "Regio Twente"},  # a region, no gemeente
        ]})
        assert [e.field for e in report.errors] == ["gemeente", "themes[0]", "domains[0]",
                                                    "gemeente"]
        assert report.errors[1].message == "onbekend thema: 'klimaat / energie'"
        assert report.warnings == [] and store.count("Member") == 0


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"SCHAKEL_DATA_DIR": str(data_dir),
                                                 "COLUMNS": "200"})
    return result.exit_code, result.output


def test_check_writes_nothing_and_reports_what_an_import_would(tmp_path: Path) -> None:
    path = tmp_path / "netwerk.json"
    doc = network_document(members=30)
    doc["members"].append({"id": "ext-bad", "name": "X", "themes": ["klimaat"]})
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out = run(tmp_path / "data", "import", "--check", str(path))
    assert code == 1, out
    assert "Controle: er is niets opgeslagen." in out
    assert "Waarschuwingen" in out and "las 'kennis' als 'Kennis en onderzoek'" in out
    assert "members rij 31 (ext-bad): themes[0]: onbekend thema: 'klimaat'" in out
    with LocalGraphStore(tmp_path / "data" / "schakel.sqlite") as store:
        assert store.count("Member") == 0 and store.count("Organisation") == 0
        assert store.count("Theme") > 50  # the vocabulary is there from the first open
    code, out = run(tmp_path / "data", "import", str(path))
    assert code == 1
    with LocalGraphStore(tmp_path / "data" / "schakel.sqlite") as store:
        assert store.count("Member") == 30


def test_map_file_names_the_files_own_words(tmp_path: Path) -> None:
    path = tmp_path / "leden.csv"
    path.write_text("id;name;themes;domains;gemeente\n"
                    "c-1;Noor;Jeugd en school;Leren;Enschede\n", encoding="utf-8")
    code, out = run(tmp_path / "data", "import", str(path))
    assert code == 1 and "onbekend domein: 'Leren'" in out
    mapping = tmp_path / "woorden.yaml"
    mapping.write_text("themes:\n  Jeugd en school: thuiszitters\ndomains:\n  leren: onderwijs\n",
                       encoding="utf-8")
    code, out = run(tmp_path / "data", "import", "--map", str(mapping), str(path))
    assert code == 0, out
    with LocalGraphStore(tmp_path / "data" / "schakel.sqlite") as store:
        assert store.neighbour_ids("c-1", "WORKS_ON") == ["thuiszitters"]
        assert store.neighbour_ids("c-1", "ACTIVE_IN") == ["onderwijs"]
    mapping.write_text("kleuren: {rood: blauw}\n", encoding="utf-8")
    code, out = run(tmp_path / "data", "import", "--map", str(mapping), str(path))
    assert code == 2 and "onbekende soort 'kleuren' in het koppelbestand" in out


def test_export_restores_into_an_empty_data_dir_exactly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "seed", "-n", "60", "--seed", "4")[0] == 0
    first = tmp_path / "export.json"
    assert run(data, "export", str(first))[0] == 0
    code, out = run(tmp_path / "empty", "import", str(first))  # no seed beforehand
    assert code == 0, out
    assert "Waarschuwingen" not in out
    again = tmp_path / "again.json"
    assert run(tmp_path / "empty", "export", str(again))[0] == 0
    assert json.loads(again.read_text()) == json.loads(first.read_text())
    with LocalGraphStore(data / "schakel.sqlite") as a, \
            LocalGraphStore(tmp_path / "empty" / "schakel.sqlite") as b:
        assert a.counts() == b.counts()
