"""Lid worden: apply on the public page, staff's queue and steps, the new member's key."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pageclient import PageClient

from schakel.errors import TransitionError
from schakel.graph.local import LocalGraphStore
from schakel.graph.lookup import Lookup
from schakel.graph.model import Application, Member
from schakel.matching import intake
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

FORM = {"naam": "Roosmarijn Tjoelker", "contact": "roosmarijn@voorbeeld.example",
        "organisatie": "Stichting Nieuw Begin", "gemeente": "Emmen", "functie": "ouder",
        "domein": ["onderwijs"], "niveau": "uitvoering", "perspectief": "ouder/verzorger",
        "leren": "Hoe krijg ik mijn zoon weer naar school?", "leren_thema": ["thuiszitters"],
        "nodig": "Wie kent een school in Emmen die thuiszitters goed opvangt?",
        "brengen": "Ervaring als ouder van een thuiszitter.", "brengen_thema": ["verzuim"],
        "zichtbaarheid": "members", "matchen": "true", "akkoord": "true"}


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
           matcher: Any, keys: Keys) -> Iterator[TestClient]:  # noqa: ARG001
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with PageClient(app) as c:
        yield c


def only_application(store: LocalGraphStore) -> Application:
    [app_id] = store.ids("Application")
    found = store.get(app_id)
    assert isinstance(found, Application)
    return found


def test_apply_approve_log_in_and_first_question(client: TestClient,
                                                 seeded_store: LocalGraphStore,
                                                 keys: Keys) -> None:
    page = client.get("/lid-worden")
    assert page.status_code == 200 and "Wat komt u brengen?" in page.text
    assert 'maxlength="300"' in page.text
    sent = client.post("/lid-worden", data=FORM)
    assert sent.status_code == 200 and "Bedankt, Roosmarijn Tjoelker" in sent.text
    a = only_application(seeded_store)
    assert (a.state, a.gemeente, a.seeks, a.offers) == ("pending", "gm-emmen",
                                                         ["thuiszitters"], ["verzuim"])
    assert client.get("/aanmeldingen").status_code == 401  # staff only
    client.cookies.set("schakel_sleutel", keys.staff)
    queue = client.get("/aanmeldingen")
    assert "Roosmarijn Tjoelker" in queue.text and "Heeft nodig" in queue.text
    done = client.post(f"/aanmeldingen/{a.id}", data={"actie": "approve"})
    assert done.status_code == 200, done.text[:500]
    key = re.search(r'<code id="sleutel">(sk-[\w-]+)</code>', done.text)
    assert key, done.text
    a = only_application(seeded_store)
    member = seeded_store.get(a.member)
    assert isinstance(member, Member) and member.name == "Roosmarijn Tjoelker"
    assert (member.role_level, member.perspective) == ("uitvoering", "ouder/verzorger")
    assert seeded_store.neighbour_ids(member.id, "SEEKS") == ["thuiszitters"]
    assert seeded_store.neighbour_ids(member.id, "OFFERS") == ["verzuim"]
    assert seeded_store.neighbour_ids(member.id, "BASED_IN") == ["gm-emmen"]
    [org] = seeded_store.neighbours(member.id, "WORKS_AT")
    assert org.name == "Stichting Nieuw Begin"  # a new organisation
    [question] = seeded_store.neighbour_ids(member.id, "ASKED_BY", "in")
    assert a.question == question  # "heb nodig" is in the brokering queue
    again = client.post(f"/aanmeldingen/{a.id}", data={"actie": "approve"})
    assert again.status_code == 409 and "afgehandeld" in again.text  # approved once
    assert len(seeded_store.neighbour_ids(a.id, "BECAME")) == 1
    # the new member logs in with the key and finds their profile
    client.cookies.set("schakel_sleutel", key.group(1))
    profile = client.get("/mijn-profiel")
    assert profile.status_code == 200 and "Ervaring als ouder" in profile.text
    mine = client.get("/api/v1/me/export").json()
    assert [x["id"] for x in mine["applications"]] == [a.id]
    assert client.delete(f"/api/v1/members/{member.id}",
                         headers=keys.bearer(key.group(1))).status_code == 200
    assert seeded_store.ids("Application") == []  # erased with the member


def test_form_problems_are_dutch_and_write_nothing(client: TestClient,
                                                   seeded_store: LocalGraphStore) -> None:
    for change, message in (({"gemeente": "Atlantis"}, "De gemeente Atlantis kennen we niet."),
                            ({"naam": "x" * 400}, "Naam is te lang: hoogstens 300 tekens."),
                            ({"akkoord": ""}, "Vink aan"),
                            ({"naam": " "}, "Vul uw naam in.")):
        sent = client.post("/lid-worden", data={**FORM, **change})
        assert sent.status_code == 422 and message in sent.text, (change, sent.text[-900:])
    empty = client.post("/lid-worden", data={"naam": "Alleen Een Naam", "akkoord": "true"})
    assert empty.status_code == 200  # every other field is optional
    assert len(seeded_store.ids("Application")) == 1


def test_ask_more_resume_and_refuse_forget_the_person(client: TestClient,
                                                      seeded_store: LocalGraphStore,
                                                      keys: Keys) -> None:
    client.post("/lid-worden", data=FORM)
    a = only_application(seeded_store)
    members = seeded_store.count("Member")
    client.cookies.set("schakel_sleutel", keys.staff)
    asked = client.post(f"/aanmeldingen/{a.id}",
                        data={"actie": "ask_more", "notitie": "Op welke school zit uw zoon?"},
                        follow_redirects=False)
    assert asked.status_code == 303
    assert only_application(seeded_store).state == "more_info"
    assert "Op welke school" in client.get("/aanmeldingen").text
    client.post(f"/aanmeldingen/{a.id}", data={"actie": "resume"})
    client.post(f"/aanmeldingen/{a.id}", data={"actie": "refuse"})
    refused = only_application(seeded_store)
    assert refused.state == "refused" and "Tjoelker" not in refused.model_dump_json()
    assert seeded_store.count("Member") == members  # no member made
    assert client.post(f"/aanmeldingen/{a.id}", data={"actie": "ask_more"}).status_code == 409
    assert client.post(f"/aanmeldingen/{a.id}", data={"actie": "vliegen"}).status_code == 409


def test_two_approvals_at_once_make_one_member(seeded_store: LocalGraphStore,
                                               gazetteer: Any) -> None:
    lookup = Lookup(seeded_store, gazetteer)
    a = intake.submit(seeded_store, lookup, {"name": "Twee Keer", "seeks": ["thuiszitters"]})
    before = seeded_store.count("Member")
    results: list[str] = []

    def approve() -> None:
        try:
            results.append(intake.act(seeded_store, lookup, a.id, "approve", "staff").member_id)
        except TransitionError:
            results.append("refused")

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count("refused") == 3
    assert seeded_store.count("Member") == before + 1
    with pytest.raises(TransitionError, match="afgehandeld"):
        intake.next_state(a.id, "approved", "refuse")
