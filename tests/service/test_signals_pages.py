"""The signal pages as forms arrive: empty optional fields work, too-long input gets a
Dutch message beside the form (never a 500), members stay out of the staff board."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pageclient import PageClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Signal
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys


@pytest.fixture
def app(seeded_store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
        matcher: Any) -> Any:
    assert matcher.catalog is not None
    return create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)


@pytest.fixture
def member(app: Any, keys: Keys) -> Iterator[TestClient]:
    with PageClient(app, headers=keys.bearer(keys.member), follow_redirects=False) as c:
        yield c


@pytest.fixture
def staff(app: Any, keys: Keys) -> Iterator[TestClient]:
    with PageClient(app, headers=keys.bearer(keys.staff), follow_redirects=False) as c:
        yield c


def _signals(store: LocalGraphStore) -> list[Signal]:
    return [s for s in store.find("Signal") if isinstance(s, Signal)]


def test_member_form_with_empty_optional_fields_and_anonymous(
        member: TestClient, seeded_store: LocalGraphStore) -> None:
    r = member.post("/mijn-signalen", data={"tekst": "De leerplicht en de jeugdhulp werken "
                                            "langs elkaar heen.", "plaats": "", "urgentie": ""})
    assert r.status_code == 303
    assert r.headers["location"].startswith("/mijn-signalen?ingebracht=1#sig-")
    r = member.post("/mijn-signalen", data={"tekst": "Niemand betaalt de brug.",
                                            "anoniem": "ja"})
    assert r.status_code == 303
    anonymous = next(s for s in _signals(seeded_store) if s.text == "Niemand betaalt de brug.")
    assert seeded_store.neighbour_ids(anonymous.id, "RAISED_BY") == []
    assert "anoniem" in anonymous.history[0]  # not the account name
    page = member.get("/mijn-signalen").text
    assert "langs elkaar heen" in page and "Niemand betaalt de brug." not in page


def test_too_long_or_empty_input_gets_dutch_messages(member: TestClient, staff: TestClient,
                                                      seeded_store: LocalGraphStore) -> None:
    r = member.post("/mijn-signalen", data={"tekst": "x" * 5001})
    assert r.status_code == 422 and "Het signaal is te lang: hoogstens 5000 tekens." in r.text
    assert 'maxlength="5000"' in r.text
    r = member.post("/mijn-signalen", data={"tekst": ""})
    assert r.status_code == 422 and "Beschrijf in een paar woorden" in r.text
    r = member.post("/mijn-signalen", data={"tekst": "Wachtlijsten", "plaats": "Atlantis"})
    assert r.status_code == 422 and "onbekend gebied" in r.text
    assert _signals(seeded_store) == []
    r = staff.post("/signalen", data={"tekst": "Wachtlijsten in de jeugdhulp", "vrager": "",
                                      "plaats": "", "urgentie": ""})
    assert r.status_code == 303
    sid = r.headers["location"].rsplit("/", 1)[1]
    r = staff.post(f"/signalen/{sid}/stap", data={"actie": "oogsten", "notitie": "n" * 2001})
    assert r.status_code == 422 and "De notitie is te lang" in r.text
    r = staff.post(f"/signalen/{sid}/stap", data={"actie": "terugkoppelen",
                                                  "terugkoppeling": "klaar"})
    assert r.status_code == 409 and "kan niet: het signaal staat bij stap 01" in r.text
    assert seeded_store.get(sid).step == 1  # type: ignore[union-attr]


def test_members_do_not_reach_the_board(member: TestClient) -> None:
    assert member.get("/signalen").status_code == 403


def test_staff_put_out_a_call_and_members_answer_it(member: TestClient, staff: TestClient,
                                                     seeded_store: LocalGraphStore) -> None:
    r = staff.post("/signalen/uitvragen", data={"titel": "Waar lopen jullie tegenaan?",
                                                "uitleg": "", "soort": "open", "opent": "",
                                                "sluit": "", "signaal": ""})
    assert r.status_code == 303
    bad = staff.post("/signalen/uitvragen", data={"titel": "Gericht", "soort": "gericht"})
    assert bad.status_code == 422 and "gerichte uitvraag hoort bij een signaal" in bad.text
    long = staff.post("/signalen/uitvragen", data={"titel": "x" * 301})
    assert long.status_code == 422 and "De titel is te lang" in long.text
    call = next(iter(seeded_store.find("Call")))
    page = member.get("/mijn-signalen").text
    assert "Waar lopen jullie tegenaan?" in page
    r = member.post("/mijn-signalen", data={"tekst": "De leerplicht staat alleen.",
                                            "uitvraag": call.id})
    assert r.status_code == 303
    sid = r.headers["location"].rsplit("#", 1)[1]
    assert seeded_store.neighbour_ids(sid, "ANSWERS") == [call.id]
