"""The error table (service/errors.py): each error type gives its status and a Dutch text;
anything unexpected is a 500 with a code that is also in the log, never a misleading 503."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from schakel.errors import (
    Forbidden,
    LoginRequired,
    OutcomeDataError,
    SchakelError,
    StoreError,
    StoreUnavailableError,
    UnknownPlaceError,
    WriteConflictError,
)
from schakel.graph.local import LocalGraphStore
from schakel.service.app import create_app
from schakel.service.config import Settings
from schakel.service.errors import UNEXPECTED

if TYPE_CHECKING:
    from conftest import Keys

RAISES: dict[str, Exception] = {
    "schakel": SchakelError("iets onverwachts"),
    "bug": IndexError("list index out of range"),
    "place": UnknownPlaceError("Atlantis"),
    "outcome": OutcomeDataError("features", "uitkomst 1: onbekend signaal 'x'"),
    "race": WriteConflictError("een andere schrijver gebruikte dezelfde id's; niets opgeslagen"),
    "store": StoreUnavailableError("Neo4j is niet bereikbaar op bolt://x; probeer het later "
                                   "opnieuw (Couldn't connect to x: Connection refused)"),
    "storefault": StoreError("Neo4j-fout: {code: Neo.DatabaseError.General.UnknownError}"),
}


def _app(store: LocalGraphStore, data_dir: Path) -> FastAPI:
    app = create_app(Settings(data_dir=data_dir), store=store)
    for name, exc in RAISES.items():
        app.add_api_route(f"/api/v1/test/{name}", _raising(exc), methods=["GET"])
        app.add_api_route(f"/test/{name}", _raising(exc), methods=["GET"])
    return app


def _raising(exc: Exception) -> Callable[[], None]:
    def boom() -> None:
        raise exc

    return boom


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys) -> Iterator[TestClient]:
    with TestClient(_app(seeded_store, tmp_path), raise_server_exceptions=False,
                    headers=keys.bearer(keys.member)) as c:
        yield c


@pytest.mark.parametrize("name", ["schakel", "bug"])
def test_an_unmapped_error_is_500_with_a_code_in_the_answer_and_the_log(
        client: TestClient, caplog: pytest.LogCaptureFixture, name: str) -> None:
    with caplog.at_level(logging.ERROR, logger="schakel.service.errors"):
        r = client.get(f"/api/v1/test/{name}")
    assert r.status_code == 500  # was 503 for a SchakelError, a bare text for a bug
    body = r.json()
    code = body["request_id"]
    assert re.fullmatch(r"[0-9a-f]{8}", code)
    assert body["detail"] == UNEXPECTED.format(code=code)
    assert r.headers["X-Request-ID"] == code
    logged = [rec for rec in caplog.records if code in rec.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback, under the same code
    assert "list index" not in r.text and "onverwachts" not in r.text  # nothing raw leaks


def test_an_unmapped_error_on_a_page_shows_the_code(client: TestClient) -> None:
    r = client.get("/test/bug")
    assert r.status_code == 500
    assert "Er ging iets mis aan onze kant" in r.text
    assert r.headers["X-Request-ID"] in r.text


@pytest.mark.parametrize(("name", "status", "text"), [
    ("place", 422, "De plaats 'Atlantis' kennen we niet."),  # was 503
    ("outcome", 422, "onbekend signaal"),  # was 503
    ("race", 409, "andere schrijver"),  # was 503
    ("store", 503, "niet bereikbaar"),  # a store that cannot be reached now: stays 503
    ("storefault", 503, "storing bij de gegevens"),
])
def test_mapped_errors(client: TestClient, name: str, status: int, text: str) -> None:
    r = client.get(f"/api/v1/test/{name}")
    assert r.status_code == status
    detail = r.json()["detail"]
    assert text in (detail if isinstance(detail, str) else detail[0]["msg"])
    assert r.json()["request_id"] == r.headers["X-Request-ID"]  # every error names it
    page = client.get(f"/test/{name}")
    assert page.status_code == status and text.split("'")[0] in page.text


@pytest.mark.parametrize("name", ["store", "storefault"])
def test_store_errors_keep_the_driver_s_words_and_address_in_the_log(
        client: TestClient, caplog: pytest.LogCaptureFixture, name: str) -> None:
    with caplog.at_level(logging.WARNING, logger="schakel.service.errors"):
        r = client.get(f"/api/v1/test/{name}")
        page = client.get(f"/test/{name}")
    for leaked in ("bolt://", "Connection", "Couldn't", "Neo.", "Neo4j"):
        assert leaked not in r.text and leaked not in page.text
    assert any("Neo4j" in rec.getMessage() for rec in caplog.records)  # the cause is logged
    if name == "store":
        assert r.headers["Retry-After"] == "30"


def test_auth_errors_are_schakel_errors() -> None:
    assert issubclass(LoginRequired, SchakelError) and issubclass(Forbidden, SchakelError)


def test_auth_errors_keep_their_answers(client: TestClient, keys: Keys) -> None:
    anonymous = client.get("/api/v1/members", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    weak = client.get("/api/v1/users", headers=keys.bearer(keys.member))
    assert weak.status_code == 403 and "beheerder" in weak.json()["detail"]
    assert client.get("/leden", headers={"Authorization": ""}).status_code == 401


def test_an_unknown_address_is_answered_in_dutch(client: TestClient) -> None:
    r = client.get("/api/v1/bestaat-niet")
    assert r.status_code == 404 and r.json()["detail"] == "Dit adres bestaat niet."


@pytest.mark.parametrize(("url", "text"), [
    ("/api/v1/members?limit=0", "Moet 1 of meer zijn."),
    ("/api/v1/members?limit=veel", "Moet een heel getal zijn."),
    ("/api/v1/members?role=koning", "Kies uit: "),
])
def test_bad_input_is_explained_in_dutch(client: TestClient, url: str, text: str) -> None:
    r = client.get(url)
    assert r.status_code == 422
    msg = r.json()["detail"][0]["msg"]
    assert msg.startswith(text), msg
    assert " or " not in msg and "should" not in msg.lower()
