"""Dutch errors that help: the framework's English never reaches the user, invalid choices in
an address are said out loud, accounts without a member get a clear 403."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.service.app import create_app
from schakel.service.auth import COOKIE
from schakel.service.config import Settings
from schakel.service.errors import _PYDANTIC_NL, _dutch

if TYPE_CHECKING:
    from conftest import Keys

ENGLISH = ("There was an error", "Field required", "Input should", "Not Found",
           "Method Not Allowed", "value is not", "String should")


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys,  # noqa: ARG001
           ) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=tmp_path), store=seeded_store)) as c:
        yield c


def test_a_body_that_is_not_utf8_gets_a_dutch_answer(client: TestClient, keys: Keys) -> None:
    r = client.post("/api/v1/members", content=b'{"id": "\xff\xfe"}',
                    headers={**keys.bearer(keys.admin), "Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    assert not any(e in r.text for e in ENGLISH), r.text
    assert r.json()["request_id"]


def test_framework_answers_are_dutch(client: TestClient, keys: Keys) -> None:
    for method, path in (("GET", "/api/v1/bestaat-niet"), ("DELETE", "/api/v1/themes"),
                         ("PATCH", "/api/v1/me")):
        r = client.request(method, path, headers=keys.bearer(keys.member))
        assert r.status_code in (404, 405), (method, path)
        assert not any(e in r.text for e in ENGLISH), r.text
    missing = client.post("/api/v1/match", json={}, headers=keys.bearer(keys.staff))
    assert missing.status_code == 422
    assert missing.json()["detail"][0] == {"loc": ["body", "text"],
                                           "msg": "Dit veld is verplicht.", "type": "missing"}


def test_every_pydantic_translation_reads_without_placeholders() -> None:
    ctx = {"min_length": 1, "max_length": 2, "gt": 0, "ge": 0, "lt": 9, "le": 9,
           "expected": "'a' or 'b'", "expected_tags": "'x'", "multiple_of": 5}
    for kind in _PYDANTIC_NL:
        text = _dutch({"type": kind, "ctx": ctx, "msg": "English"})
        assert "{" not in text and "English" not in text and text.endswith("."), kind
    assert _dutch({"type": "iets_nieuws"}) == "Deze waarde klopt niet."
    assert _dutch({"type": "literal_error", "ctx": ctx}) == "Kies uit: 'a' of 'b'."


@pytest.mark.parametrize(("role", "path"), [
    ("staff", "/api/v1/me"), ("staff", "/api/v1/me/export"), ("admin", "/api/v1/me/questions"),
])
def test_me_for_an_account_without_a_member_is_a_clear_403(
        client: TestClient, keys: Keys, role: str, path: str) -> None:
    r = client.get(path, headers=keys.bearer(getattr(keys, role)))
    assert r.status_code == 403
    assert "hoort niet bij een lid" in r.json()["detail"]


@pytest.mark.parametrize(("key", "url", "said"), [
    ("member", "/leden?rol=koning", "Onbekende rol 'koning'. Kies uit: lid, expert"),
    ("staff", "/kaart/witte-vlekken?niveau=wijk", "Onbekende indeling 'wijk'"),
    ("staff", "/kaart/makelaars?rol=koning", "Onbekende rol 'koning'"),
    ("staff", "/kaart/makelaars?sorteer=lengte", "Onbekende sortering 'lengte'"),
    ("staff", "/makelen?status=weg", "Onbekende stand 'weg'. Kies uit: nieuw"),
])
def test_an_invalid_choice_in_the_address_is_said_not_ignored(
        client: TestClient, keys: Keys, key: str, url: str, said: str) -> None:
    client.cookies.set(COOKIE, getattr(keys, key))
    r = client.get(url)
    assert r.status_code == 422 and said in html.unescape(r.text)
    empty = client.get(url.split("=")[0] + "=")  # an empty field is "not given"
    assert empty.status_code == 200


def test_a_misspelt_place_gets_a_suggestion(client: TestClient, keys: Keys) -> None:
    r = client.post("/api/v1/match", json={"text": "thuiszitters", "near": "Enschde"},
                    headers=keys.bearer(keys.staff))
    assert r.status_code == 422 and "Bedoelde u Enschede?" in r.text, r.text
    client.cookies.set("schakel_sleutel", keys.member)
    page = client.get("/zoeken", params={"vraag": "thuiszitters", "plaats": "Enschde"})
    assert page.status_code < 500 and "Bedoelde u Enschede?" in page.text


def test_a_misspelt_theme_gets_a_suggestion(client: TestClient, keys: Keys) -> None:
    r = client.get("/api/v1/members", params={"theme": "thuisziters"},
                   headers=keys.bearer(keys.staff))
    assert r.status_code == 422 and "Bedoelde u Thuiszitters?" in r.text, r.text
    far = client.get("/api/v1/members", params={"theme": "ruimtevaart"},
                     headers=keys.bearer(keys.staff))
    assert far.status_code == 422 and "Bedoelde u" not in far.text
