"""Privacy probes: for every field a member can keep private, plant a value found nowhere
else and look for it through every surface another member (or, for shared screens and
exports, staff) can reach. Finding it anywhere is a leak.

Surfaces: nearby search (API and page, by text, theme and place), member lists and
details (API and pages), `/me/export` of a member who knows the planted one, the network
map and its exports, and a brokering introduction's reasons as the asker sees them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Organisation, Relationship
from schakel.service.app import create_app
from schakel.service.auth import COOKIE
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

# Values that occur nowhere else in the seeded graph.
FUNCTION = "zwerfkeienconsulent"
ORGANISATION = "Stichting Kwispelwaard"
CONTACT = "kwispel-7731@voorbeeld.example"
HIDDEN = "Ottoline Vreeswijk"
PLANTED = {"function": FUNCTION, "organisation": ORGANISATION, "contact": CONTACT}
PROFILE = "Ik help scholen en wijkteams met thuiszitters in Emmen."


@pytest.fixture
def store(seeded_store: LocalGraphStore, keys: Keys) -> LocalGraphStore:
    seeded_store.write(
        [Organisation(id="org-kwispel", name=ORGANISATION, kind="welzijn"),
         Member(id="p-probe", name="Probe Lid", roles=["member", "expert"], profile=PROFILE,
                function=FUNCTION, contact=CONTACT, consent_contact=True,
                private_fields=["organisation", "function", "themes", "contact"]),
         # Only the function private: found by theme and text, never by the function.
         Member(id="p-func", name="Functie Lid", roles=["member", "expert"], profile=PROFILE,
                function=FUNCTION, private_fields=["function"]),
         Member(id="p-hidden", name=HIDDEN, profile=PROFILE, visibility="none")],
        [Relationship.of("WORKS_AT", "p-probe", "org-kwispel"),
         Relationship.of("BASED_IN", "p-probe", "gm-emmen"),
         Relationship.of("WORKS_ON", "p-probe", "lvb"),
         Relationship.of("ACTIVE_IN", "p-probe", "jeugdhulp"),
         Relationship.of("BASED_IN", "p-func", "gm-emmen"),
         Relationship.of("WORKS_ON", "p-func", "thuiszitters"),
         Relationship.of("BASED_IN", "p-hidden", "gm-emmen"),
         # The caller knows both; the hidden one also knows the caller.
         Relationship.of("KNOWS", keys.member_id, "p-probe"),
         Relationship.of("KNOWS", keys.member_id, "p-hidden"),
         Relationship.of("KNOWS", "p-hidden", keys.member_id)])
    return seeded_store


@pytest.fixture
def client(store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
           matcher: Any) -> Iterator[TestClient]:
    assert matcher.catalog is not None  # the session's embedding cache, filled once
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=store)
    with TestClient(app) as c:
        yield c


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    found = [f for f, v in PLANTED.items() if v.lower() in lowered]
    return found + (["hidden member"] if HIDDEN.lower() in lowered or "p-hidden" in lowered
                    else [])


def member_surfaces() -> list[str]:
    q = quote(FUNCTION)
    return [
        # Nearby: the private function as free text, the private theme, the place.
        f"/api/v1/nearby?q={q}&limit=50", f"/api/v1/nearby?q={q}&near=Emmen&limit=50",
        "/api/v1/nearby?theme=lvb&near=Emmen&limit=50", "/api/v1/nearby?near=Emmen&limit=50",
        f"/api/v1/nearby?q={quote(ORGANISATION)}&limit=50",
        f"/zoeken?vraag={q}&plaats=Emmen", "/zoeken?thema=lvb&plaats=Emmen",
        # Lists and details.
        "/api/v1/members/p-probe", "/api/v1/members?region=Emmen&limit=200",
        "/api/v1/members?theme=lvb&limit=200", "/leden/p-probe", "/leden?plaats=Emmen",
        "/api/v1/organisations/org-kwispel",
        # The caller's own export, which names the people they know.
        "/api/v1/me/export",
    ]


def test_no_private_value_is_found_by_another_member(client: TestClient, keys: Keys) -> None:
    client.cookies.set(COOKIE, keys.member)
    found = {}
    for url in member_surfaces():
        r = client.get(url)
        assert r.status_code in (200, 404), (url, r.status_code, r.text[:200])
        text = r.text
        if FUNCTION in url or quote(ORGANISATION) in url or "/organisations/" in url:
            # The page repeats what was asked: then finding the member is the leak.
            text = text.replace(FUNCTION, "").replace(ORGANISATION, "")
            if any(x in text for x in ("p-probe", "Probe Lid", "p-func", "Functie Lid")):
                found[url] = ["found by a private value"]
        if leaks(text):
            found[url] = leaks(text)
    assert found == {}
    # The probe member is still there to be found by what they show: place and domain.
    by_place = client.get("/api/v1/nearby?near=Emmen&radius_km=1&domain=jeugdhulp&limit=50")
    by_place = by_place.json()
    assert "p-probe" in {h["id"] for h in by_place["data"]}
    by_text = client.get("/api/v1/nearby?q=thuiszitters%20Emmen&near=Emmen&radius_km=1&limit=50")
    assert "p-func" in {h["id"] for h in by_text.json()["data"]}  # found by what it shows


def test_me_export_lists_only_what_the_caller_may_see(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/v1/me/export", headers=keys.bearer(keys.member))
    assert r.status_code == 200
    body = r.json()
    known = {rel["to"] for rel in body["relationships"] if rel["type"] == "KNOWS"}
    assert "p-probe" in known and "p-hidden" not in known
    assert all(rel["from"] != "p-hidden" for rel in body["known_by"])
    assert body["relationships_with_hidden_members"] >= 2  # counted, never named
    assert leaks(r.text) == []


def test_maps_and_network_exports_leave_private_fields_out(client: TestClient,
                                                           keys: Keys) -> None:
    staff = keys.bearer(keys.staff)
    admin = keys.bearer(keys.admin)
    for url, headers in (("/api/v1/map?region=Emmen&organisations=true", staff),
                         ("/api/v1/map?theme=lvb", staff),
                         ("/api/v1/export?format=json&region=Emmen&organisations=true", admin),
                         ("/api/v1/export?format=gexf&region=Emmen&organisations=true", admin),
                         ("/api/v1/export?format=graphml&region=Emmen", admin)):
        r = client.get(url, headers=headers)
        assert r.status_code in (200, 422), (url, r.text[:200])
        assert leaks(r.text) == [], url


def test_introduction_reasons_do_not_give_a_private_function_away(
        client: TestClient, keys: Keys) -> None:
    staff = keys.bearer(keys.staff)
    ask = client.post("/api/v1/questions", headers=staff, json={
        "text": f"Wie is {FUNCTION} rond Emmen?", "asker": keys.member_id})
    assert ask.status_code == 201, ask.text
    slate = client.post(f"/api/v1/questions/{ask.json()['id']}/slate", headers=staff)
    assert slate.status_code in (200, 201), slate.text
    reasons = [r for c in slate.json()["candidates"] for r in c["reasons"]]
    assert reasons and not [r for r in reasons if FUNCTION in r]  # stored reasons never name it
    mine = client.get("/api/v1/introductions/mine", headers=keys.bearer(keys.member))
    assert mine.status_code == 200 and leaks(mine.text) == []


def test_the_profile_page_warns_when_public_text_names_a_private_organisation(
        client: TestClient, keys: Keys, store: LocalGraphStore) -> None:
    store.write([Organisation(id="org-kwispel", name=ORGANISATION, kind="welzijn")],
                [Relationship.of("WORKS_AT", keys.member_id, "org-kwispel")])
    client.cookies.set(COOKIE, keys.member)
    me = client.get("/api/v1/me").json()
    put = client.put("/api/v1/me", json={
        "private_fields": ["organisation"],
        "profile": f"Ik werk bij {ORGANISATION.lower()} aan thuiszitters."})
    assert put.status_code == 200, put.text
    page = client.get("/mijn-profiel").text
    assert "noemt uw organisatie (Stichting Kwispelwaard)" in page
    client.put("/api/v1/me", json={"profile": me["profile"]})
    assert "noemt uw organisatie" not in client.get("/mijn-profiel").text
