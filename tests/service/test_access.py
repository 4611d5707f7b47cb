"""Every route declares a role, and refuses a missing or too weak credential."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.service.access import ROLES, AccountError
from schakel.service.access_sqlite import SqliteAccessStore
from schakel.service.app import create_app
from schakel.service.auth import declared_routes
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

PUBLIC = {("GET", "/api/v1/health"), ("GET", "/api/v1/ready"), ("GET", "/inloggen"),
          ("POST", "/inloggen"), ("POST", "/uitloggen"),
          ("GET", "/lid-worden"), ("POST", "/lid-worden"), ("GET", "/favicon.ico"),
          ("POST", "/api/v1/applications"),  # the API of the same public form
          # The API's documentation (offline assets), as before:
          ("GET", "/api/v1/docs"), ("GET", "/api/v1/redoc"),
          ("GET", "/api/v1/docs/oauth2-redirect")}


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path,
           keys: Keys,  # noqa: ARG001 - accounts first
           page_client: type[TestClient]) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path), store=seeded_store)
    with page_client(app) as c:
        yield c


def routes(client: TestClient) -> list[tuple[str, str, str | None]]:
    return declared_routes(client.app)


def filled(path: str, store: LocalGraphStore) -> str:
    samples = {"member_id": "m-000001", "practice_id": store.ids("Practice")[0],
               "community_id": store.ids("Community")[0],
               "organisation_id": store.ids("Organisation")[0], "region_id": "gm-emmen",
               "theme_id": "lvb"}
    return re.sub(r"\{(\w+)\}", lambda m: samples.get(m.group(1), "x-1"), path)


def test_every_route_declares_a_role_and_enforces_it(
        client: TestClient, seeded_store: LocalGraphStore, keys: Keys) -> None:
    found = routes(client)
    openapi = client.get("/api/v1/openapi.json").json()["paths"]
    documented = {(m.upper(), p) for p, ops in openapi.items() for m in ops}
    assert documented <= {(m, p) for m, p, _ in found}  # the walk covers the OpenAPI
    key_of = {"member": keys.member, "staff": keys.staff, "admin": keys.admin}
    checked = 0
    for method, path, role in found:
        if (method, path) in PUBLIC:
            assert role is None, f"{method} {path} should be public"
            continue
        assert role is not None, f"{method} {path} declares no role"
        url = filled(path, seeded_store)
        anonymous = client.request(method, url)
        assert anonymous.status_code == 401, (method, url, anonymous.status_code)
        for weaker in ROLES[: ROLES.index(role)]:
            response = client.request(method, url, headers=keys.bearer(key_of[weaker]))
            assert response.status_code == 403, (method, url, weaker, response.status_code)
        if method != "DELETE":  # erasure is tested on its own (it really erases)
            allowed = client.request(method, url, headers=keys.bearer(key_of[role]))
            assert allowed.status_code not in (401, 403), (method, url, role)
        wrong = client.request(method, url, headers={"Authorization": "Bearer sk-verzonnen"})
        assert wrong.status_code == 401
        checked += 1
    assert checked >= 30


def test_api_says_how_to_log_in_and_pages_show_the_login_form(client: TestClient) -> None:
    api = client.get("/api/v1/members")
    assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"
    page = client.get("/kaart?thema=lvb")
    assert page.status_code == 401 and "Inloggen" in page.text
    assert 'name="next" value="/kaart?thema=lvb"' in page.text


def test_login_sets_a_cookie_and_logout_clears_it(client: TestClient, keys: Keys) -> None:
    bad = client.post("/inloggen", data={"sleutel": "sk-fout", "next": "/leden"})
    assert bad.status_code == 401 and "kennen we niet" in bad.text
    ok = client.post("/inloggen", data={"sleutel": keys.staff, "next": "/kaart"},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/kaart"
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/kaart").status_code == 200  # the client keeps the cookie
    assert "regiebureau" in client.get("/").text  # the header names the account
    elsewhere = client.post("/inloggen", data={"sleutel": keys.staff,
                                               "next": "//evil.example/x"},
                            follow_redirects=False)
    assert elsewhere.headers["location"] == "/"  # no open redirect
    client.post("/uitloggen")
    assert client.get("/kaart").status_code == 401


def test_member_cannot_reach_staff_pages(client: TestClient, keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.member)
    assert client.get("/leden").status_code == 200
    denied = client.get("/kaart")
    assert denied.status_code == 403 and "Geen toegang" in denied.text
    assert "een account van het regiebureau nodig" in denied.text


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    access = SqliteAccessStore(tmp_path / "access.sqlite")
    key = access.add_user("anna", "staff")
    assert key.startswith("sk-") and len(key) > 40
    assert access.authenticate(key) is not None and access.authenticate(key + "x") is None
    access.close()
    assert key.encode() not in (tmp_path / "access.sqlite").read_bytes()
    access = SqliteAccessStore(tmp_path / "access.sqlite")
    with pytest.raises(AccountError, match="bestaat al"):
        access.add_user("anna", "staff")
    with pytest.raises(AccountError, match="onbekende rol"):
        access.add_user("bob", "baas")
    with pytest.raises(AccountError, match="lid-id"):
        access.add_user("bob", "member")
    new = access.add_user("anna", "admin", replace=True)
    assert access.authenticate(key) is None and access.authenticate(new).role == "admin"
    access.close()


def test_admin_makes_accounts_and_reads_the_audit_log(client: TestClient, keys: Keys) -> None:
    client.headers.update(keys.bearer(keys.admin))
    made = client.post("/api/v1/users", json={"name": "joke", "role": "member",
                                              "member_id": "m-000004"})
    assert made.status_code == 201
    key = made.json()["key"]
    me = client.get("/api/v1/me", headers=keys.bearer(key))
    assert me.status_code == 200 and me.json()["id"] == "m-000004"
    assert client.post("/api/v1/users", json={"name": "joke", "role": "staff"}).status_code \
        == 422  # exists
    assert client.post("/api/v1/users", json={"name": "x", "role": "member",
                                              "member_id": "bestaat-niet"}).status_code == 404
    names = {u["name"] for u in client.get("/api/v1/users").json()}
    assert {"beheer", "regiebureau", "lid", "joke"} <= names
    assert "key" not in client.get("/api/v1/users").text
    client.get("/api/v1/members/m-000001", headers=keys.bearer(keys.staff))
    rows = client.get("/api/v1/audit?subject=m-000001").json()
    assert rows[0]["who"] == "regiebureau" and rows[0]["action"] == "profiel gelezen"
