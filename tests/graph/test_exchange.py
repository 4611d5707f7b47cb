"""Import and export of the exchange format on a seeded store."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from schakel.errors import ImportFormatError
from schakel.graph.exchange import export_document, import_document, read_document
from schakel.graph.local import LocalGraphStore


def good_document() -> dict[str, Any]:
    return {
        "organisations": [
            {"id": "org-test-school", "name": "Basisschool De Vlieger", "kind": "school",
             "domains": ["Onderwijs"], "gemeente": "Den Haag"},
            {"id": "org-test-wijkteam", "name": "Wijkteam Noord", "kind": "wijkteam",
             "domains": ["jeugdhulp"], "gemeente": "gm-emmen"},
        ],
        "members": [
            {"id": "t-1", "name": "Sanne Visser", "function": "intern begeleider",
             "organisation": "Basisschool De Vlieger", "gemeente": "'s-gravenhage",
             "domains": ["onderwijs"], "roles": ["expert"],
             "themes": ["thuiszitters", {"theme": "passend_onderwijs", "level": 3}],
             "profile": "Ik help scholen met thuiszitters.", "availability": "op afspraak",
             "visibility": "members"},
            {"id": "t-2", "name": "Youssef Amrani", "organisation": "org-test-wijkteam",
             "gemeente": "EMMEN", "domains": ["jeugdhulp"], "themes": ["thuiszitters"],
             "roles": ["verbinder"], "visibility": "staff"},
        ],
        "practices": [
            {"id": "pr-test", "title": "Samen tegen verzuim", "summary": "Een aanpak.",
             "themes": ["thuiszitters"], "gemeenten": ["Emmen", "Regio Twente"],
             "organisations": ["org-test-wijkteam"]},
        ],
        "communities": [
            {"id": "com-test", "name": "Leerkring thuiszitters", "kind": "cop",
             "themes": ["thuiszitters"], "members": ["t-1", "t-2"]},
        ],
        "relationships": [
            {"type": "KNOWS", "from": "t-1", "to": "t-2", "props": {"context": "brug"}},
        ],
    }


def signal_document() -> dict[str, Any]:
    return {
        "calls": [{"id": "call-test", "title": "Waar loopt u tegenaan?", "kind": "open",
                   "opens": "2026-01-01", "themes": ["thuiszitters"], "domains": ["onderwijs"],
                   "regions": ["Emmen"]}],
        "signals": [
            {"id": "sig-test-1", "text": "Leerlingen wachten maanden op jeugdhulp.",
             "step": "3", "channel": "intake", "urgency": "hoog", "themes": ["thuiszitters"],
             "domains": ["jeugdhulp"], "place": "Emmen", "raised_by": "t-1",
             "call": "call-test"},
            {"id": "sig-test-2", "text": "Niemand betaalt de brug tussen school en zorg.",
             "instrument": "financiering"},
        ],
        "relationships": [
            {"type": "RECOGNISES", "from": "t-2", "to": "sig-test-1",
             "props": {"note": "Bij ons ook"}},
            {"type": "AGENDERED_AT", "from": "sig-test-1", "to": "tafel-ozkt",
             "props": {"date": "2026-03-01", "option": "dataverzameling en onderzoek"}},
        ],
    }


def test_good_document_is_imported_with_names_resolved(seeded_store: LocalGraphStore) -> None:
    report = import_document(seeded_store, good_document())
    assert report.errors == []
    assert dict(report.written) == {"organisations": 2, "members": 2, "practices": 1,
                                    "communities": 1, "relationships": 1}
    s = seeded_store
    assert s.neighbour_ids("org-test-school", "BASED_IN") == ["gm-s-gravenhage"]
    assert s.neighbour_ids("t-1", "WORKS_AT") == ["org-test-school"]
    assert s.neighbour_ids("t-1", "BASED_IN") == ["gm-s-gravenhage"]
    assert s.neighbour_ids("t-2", "BASED_IN") == ["gm-emmen"]
    levels = {r.end: r.props["level"] for r in s.relationships("t-1", "WORKS_ON")}
    assert levels == {"thuiszitters": 2, "passend_onderwijs": 3}
    assert s.require("t-1").roles == ["member", "expert"]
    assert s.neighbour_ids("pr-test", "IN_REGION") == ["gm-emmen", "rg-regio-twente"]
    assert s.neighbour_ids("com-test", "MEMBER_OF", "in") == ["t-1", "t-2"]
    assert s.relationships("t-1", "KNOWS")[0].props == {"context": "brug"}


def test_partly_bad_document_reports_rows_and_keeps_good_ones(
        seeded_store: LocalGraphStore) -> None:
    doc = good_document()
    doc["members"] += [
        {"id": "t-3", "name": "Piet", "themes": ["klimaatadaptatie"]},
        {"id": "t-4", "name": "Els", "gemeente": "Atlantis"},
        {"id": "t-5", "name": "Kim", "visibility": "everyone"},
        {"name": "Zonder id"},
        {"id": "t-6", "name": "Ali", "themes": [{"theme": "lvb", "level": 7}]},
        {"id": "t-1", "name": "Dubbel"},
        {"id": "t-7", "name": "Goed", "gemeente": "Súdwest-Fryslân", "themes": ["LVB"]},
        {"id": "t-8", "name": "Rol", "roles": ["koning"]},
        {"id": "t-9", "name": "Plaats", "gemeente": "Regio Twente"},
    ]
    doc["relationships"].append({"type": "KNOWS", "from": "t-1", "to": "m-nobody"})
    doc["relationships"].append({"type": "LIKES", "from": "t-1", "to": "t-2"})
    before = seeded_store.count("Member")
    report = import_document(seeded_store, doc)
    errors = {(e.section, e.row): (e.id, e.field) for e in report.errors}
    assert errors == {
        ("members", 3): ("t-3", "themes[0]"),
        ("members", 4): ("t-4", "gemeente"),
        ("members", 5): ("t-5", "visibility"),
        ("members", 6): (None, "id"),
        ("members", 7): ("t-6", "themes[0].level"),
        ("members", 8): ("t-1", "id"),
        ("members", 10): ("t-8", "roles"),
        ("members", 11): ("t-9", "gemeente"),  # a member's place is a gemeente
        ("relationships", 2): (None, "to"),
        ("relationships", 3): (None, "type"),
    }
    assert "klimaatadaptatie" in next(e.message for e in report.errors if e.id == "t-3")
    assert report.written["members"] == 3
    assert seeded_store.count("Member") == before + 3
    for bad in ("t-3", "t-4", "t-5", "t-6", "t-8", "t-9"):
        assert seeded_store.get(bad) is None
    assert seeded_store.require("t-1").name == "Sanne Visser"
    assert seeded_store.neighbour_ids("t-7", "WORKS_ON") == ["lvb"]


def test_repeated_import_changes_nothing_and_updates_replace(
        seeded_store: LocalGraphStore) -> None:
    import_document(seeded_store, good_document())
    counts = seeded_store.counts()
    report = import_document(seeded_store, good_document())
    assert report.errors == []
    assert seeded_store.counts() == counts
    update = {"members": [{"id": "t-1", "themes": ["lvb"], "availability": "niet"}]}
    assert import_document(seeded_store, update).errors == []
    member = seeded_store.require("t-1")
    assert member.availability == "niet"
    assert member.profile == "Ik help scholen met thuiszitters."  # left out: kept
    assert seeded_store.neighbour_ids("t-1", "WORKS_ON") == ["lvb"]
    assert seeded_store.neighbour_ids("t-1", "WORKS_AT") == ["org-test-school"]


def test_failed_batch_writes_none_of_its_rows(seeded_store: LocalGraphStore,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"id": f"b-{i}", "name": f"Lid {i}", "gemeente": "Emmen"} for i in range(10)]
    real_sql_write = LocalGraphStore._sql_write
    calls = {"n": 0}

    def second_batch_fails(cur, node_rows, rels, replace):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        removed = real_sql_write(cur, node_rows, rels, replace)  # the rows go in ...
        if calls["n"] == 2:
            raise sqlite3.OperationalError("schijf vol")  # ... and then the disk fills up
        return removed

    monkeypatch.setattr(LocalGraphStore, "_sql_write", staticmethod(second_batch_fails))
    report = import_document(seeded_store, {"members": rows}, batch_size=4)
    assert report.written["members"] == 6
    assert sorted(e.row for e in report.errors) == [5, 6, 7, 8]
    assert all("schijf vol" in e.message for e in report.errors)
    assert [seeded_store.get(f"b-{i}") is None for i in range(10)] == \
        [False] * 4 + [True] * 4 + [False] * 2


def test_csv_members(seeded_store: LocalGraphStore, tmp_path: Path) -> None:
    path = tmp_path / "leden.csv"
    path.write_text(
        "id,name,function,gemeente,domains,themes,roles,consent_contact\n"
        "c-1,Noor Bakker,leerkracht,Leeuwarden,onderwijs,thuiszitters:3;passend onderwijs,"
        "expert,ja\n"
        "c-2,Tom de Boer,jeugdarts,Nergenshuizen,zorg,,,nee\n"
        "c-3,Lotte Smit,wijkcoach,Zwolle,jeugdhulp,welzijn_sociaal_werk,,misschien\n",
        encoding="utf-8")
    doc = read_document(path)
    report = import_document(seeded_store, doc)
    assert [(e.row, e.field) for e in report.errors] == [(2, "gemeente"), (3, "consent_contact")]
    member = seeded_store.require("c-1")
    assert member.consent_contact is True and member.roles == ["member", "expert"]
    levels = {r.end: r.props["level"] for r in seeded_store.relationships("c-1", "WORKS_ON")}
    assert levels == {"thuiszitters": 3, "passend_onderwijs": 2}


def test_csv_with_semicolons_as_dutch_excel_writes_it(seeded_store: LocalGraphStore,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text('\ufeffid;name;gemeente;themes\n'
                    'e-1;Ilse Mulder;Den Bosch;"lvb;gedrag"\n', encoding="utf-8")
    report = import_document(seeded_store, read_document(path))
    assert report.errors == []
    assert seeded_store.neighbour_ids("e-1", "BASED_IN") == ["gm-s-hertogenbosch"]
    assert seeded_store.neighbour_ids("e-1", "WORKS_ON") == ["gedrag", "lvb"]


def test_unreadable_documents_are_refused(tmp_path: Path) -> None:
    bad_json = tmp_path / "x.json"
    bad_json.write_text("{not json", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="geen geldige JSON"):
        read_document(bad_json)
    wrong = tmp_path / "y.json"
    wrong.write_text(json.dumps({"people": []}), encoding="utf-8")
    with pytest.raises(ImportFormatError, match="onbekende onderdelen people"):
        read_document(wrong)
    no_header = tmp_path / "z.csv"
    no_header.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="kolom 'id'"):
        read_document(no_header)


def test_signals_calls_and_their_links_are_imported(seeded_store: LocalGraphStore) -> None:
    import_document(seeded_store, good_document())
    report = import_document(seeded_store, signal_document())
    assert report.errors == []
    s = seeded_store
    sig = s.get("sig-test-1")
    assert sig is not None and sig.step == 3 and sig.urgency == "hoog"  # type: ignore[attr-defined]
    assert s.neighbour_ids("sig-test-1", "RAISED_BY") == ["t-1"]
    assert s.neighbour_ids("sig-test-1", "ANSWERS") == ["call-test"]
    assert s.neighbour_ids("sig-test-1", "IN_REGION") == ["gm-emmen"]
    assert s.neighbour_ids("sig-test-2", "RAISED_BY") == []  # anonymous
    assert s.neighbour_ids("call-test", "IN_DOMAIN") == ["onderwijs"]
    assert s.relationships("t-2", "RECOGNISES")[0].props["note"] == "Bij ons ook"


def test_bad_signal_rows_are_reported_in_dutch_and_not_written(
        seeded_store: LocalGraphStore) -> None:
    doc = {"signals": [
        {"id": "sig-bad-1", "text": "Wachtlijsten", "raised_by": "nobody"},
        {"id": "sig-bad-2", "text": "Wachtlijsten", "step": 9},
        {"id": "sig-bad-3", "text": "Wachtlijsten", "themes": ["bestaat-niet"]},
        {"id": "sig-ok", "text": "Wachtlijsten"},
    ]}
    report = import_document(seeded_store, doc)
    assert [(e.row, e.field) for e in report.errors] == [
        (1, "raised_by"), (2, "step"), (3, "themes[0]")]
    assert report.errors[1].message == "kies een stap van 1 tot en met 7"
    assert "onbekende lid, organisatie of regio" in report.errors[0].message
    assert seeded_store.get("sig-bad-1") is None and seeded_store.get("sig-ok") is not None


def test_export_then_import_gives_the_same_graph(seeded_store: LocalGraphStore,
                                                 tmp_path: Path) -> None:
    import_document(seeded_store, good_document())
    import_document(seeded_store, signal_document())
    exported = export_document(seeded_store)
    assert {m["id"] for m in exported["members"]} >= {"t-1", "t-2"}
    # Into a store that has only the reference data:
    from schakel.seeds.load import seed_store

    with LocalGraphStore(tmp_path / "fresh.sqlite") as fresh:
        seed_store(fresh, 0)
        report = import_document(fresh, copy.deepcopy(exported))
        assert report.errors == []
        assert fresh.counts() == seeded_store.counts()
        assert export_document(fresh) == exported


def test_empty_csv_cells_keep_what_is_stored(seeded_store: LocalGraphStore,
                                             tmp_path: Path) -> None:
    member = seeded_store.find("Member")[0]
    themes = seeded_store.neighbour_ids(member.id, "WORKS_ON")
    domains = seeded_store.neighbour_ids(member.id, "ACTIVE_IN")
    path = tmp_path / "update.csv"
    path.write_text(f"id,name,themes,domains,roles\n{member.id},Nieuwe Naam,,,\n",
                    encoding="utf-8")
    assert import_document(seeded_store, read_document(path)).errors == []
    updated = seeded_store.require(member.id)
    assert updated.name == "Nieuwe Naam"
    assert updated.roles == member.roles
    assert seeded_store.neighbour_ids(member.id, "WORKS_ON") == themes
    assert seeded_store.neighbour_ids(member.id, "ACTIVE_IN") == domains


def test_broken_csv_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "lang.csv"
    path.write_text('id,profile\nm-1,"' + "x" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(ImportFormatError, match="niet te lezen"):
        read_document(path)


def test_relationship_rows_keep_one_gemeente_and_organisation(
        seeded_store: LocalGraphStore) -> None:
    member = seeded_store.ids("Member")[0]
    report = import_document(seeded_store, {"relationships": [
        {"type": "BASED_IN", "from": member, "to": "pv-drenthe"},
        {"type": "BASED_IN", "from": member, "to": "gm-emmen"},
        {"type": "BASED_IN", "from": member, "to": "gm-assen"},
    ]})
    assert [(e.row, e.field) for e in report.errors] == [(1, "to"), (3, "from")]
    assert seeded_store.neighbour_ids(member, "BASED_IN") == ["gm-emmen"]
