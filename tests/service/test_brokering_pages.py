"""The staff pages for makelen: the whole path through plain HTML forms (no JavaScript)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.service.app import create_app
from schakel.service.auth import COOKIE
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

TEXT = ("Onze leerling zit al maanden thuis. Wie heeft ervaring met thuiszitters en "
        "jeugdhulp in de klas, rond Emmen?")


@pytest.fixture
def browser(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys, embedding_file: Path,
            matcher: Any, page_client: type[TestClient]) -> Iterator[TestClient]:
    """A logged-in staff browser: the key in the login cookie, redirects not followed."""
    assert matcher.catalog is not None
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with page_client(app, follow_redirects=False) as c:
        c.cookies.set(COOKIE, keys.staff)
        yield c


def _follow(browser: TestClient, r: Any) -> Any:
    assert r.status_code == 303, r.text
    page = browser.get(r.headers["location"].split("#")[0])
    assert page.status_code == 200, page.text
    return page


def test_queue_to_outcome_through_the_forms(browser: TestClient) -> None:
    assert "Nieuwe vraag" in browser.get("/makelen").text
    r = browser.post("/makelen/vragen", data={"tekst": TEXT, "vrager": "m-000006",
                                              "soort": "hulpvraag"})
    page = _follow(browser, r)
    qid = r.headers["location"].rsplit("/", 1)[1]
    assert "Maak een voorstel" in page.text and "Thuiszitters" in page.text
    assert "(lid, m-000006)" in page.text  # Dutch, not the graph label
    assert "thema&#39;s: Thuiszitters" in page.text or "thema's: Thuiszitters" in page.text
    # history times are Dutch wall-clock time, not UTC
    stamp = re.search(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d)</td>", page.text)
    assert stamp, page.text
    from datetime import datetime
    from zoneinfo import ZoneInfo
    now = datetime.now(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None)
    assert abs((datetime.fromisoformat(stamp.group(1)) - now).total_seconds()) < 600
    assert qid in browser.get("/makelen").text  # in the queue

    page = _follow(browser, browser.post(f"/makelen/vragen/{qid}/voorstel"))
    assert 'class="result"' in page.text and "lopende verzoeken" in page.text
    intro = re.search(r'id="(intro-[^"]+)" data-state="proposed" data-candidate="m-', page.text)
    assert intro, page.text
    iid = intro.group(1)
    for action in ("approve", "candidate_accept", "asker_accept", "introduce"):
        page = _follow(browser, browser.post(f"/makelen/introducties/{iid}",
                                             data={"actie": action, "notitie": f"{action}!"}))
    assert "Contactgegevens (beide akkoord)" in page.text
    page = _follow(browser, browser.post(f"/makelen/introducties/{iid}",
                                         data={"actie": "outcome", "uitkomst": "nuttig"}))
    assert f'id="{iid}" data-state="closed"' in page.text and "afgerond: nuttig" in page.text
    assert "(afgerond)" in page.text  # the question is done
    assert "regiebureau" in page.text and "introduce!" in page.text  # history: who, note
    assert qid in browser.get("/makelen?status=afgerond").text
    cijfers = browser.get("/makelen/cijfers")
    assert cijfers.status_code == 200 and "Per provincie" in cijfers.text


def test_a_refused_step_shows_a_dutch_page(browser: TestClient) -> None:
    r = browser.post("/makelen/vragen", data={"tekst": TEXT, "vrager": "m-000006"})
    qid = r.headers["location"].rsplit("/", 1)[1]
    page = _follow(browser, browser.post(f"/makelen/vragen/{qid}/voorstel"))
    iid = re.search(r'id="(intro-[^"]+)" data-state="proposed"', page.text).group(1)  # type: ignore[union-attr]
    r = browser.post(f"/makelen/introducties/{iid}", data={"actie": "introduce"})
    assert r.status_code == 409 and "Dat kan nu niet" in r.text and "kan niet" in r.text
    r = browser.post(f"/makelen/vragen/{qid}/kandidaat", data={"kandidaat": "m-000006"})
    assert r.status_code == 409 and "de vrager zelf" in r.text
    r = browser.post("/makelen/vragen", data={"tekst": "ab", "vrager": "m-000006"})
    assert r.status_code == 422 and "<html" in r.text


def test_staff_correct_themes_add_candidates_and_notes(browser: TestClient) -> None:
    r = browser.post("/makelen/vragen", data={"tekst": TEXT, "vrager": "m-000006"})
    qid = r.headers["location"].rsplit("/", 1)[1]
    page = _follow(browser, browser.post(f"/makelen/vragen/{qid}/themas",
                                         data={"thema": ["lvb", "passend_onderwijs"]}))
    assert "thema&#39;s aangepast" in page.text or "thema's aangepast" in page.text
    page = _follow(browser, browser.post(f"/makelen/vragen/{qid}/kandidaat",
                                         data={"kandidaat": "pr-lerende-praktijk-emmen",
                                               "notitie": "zelf gevonden"}))
    assert "toegevoegd" in page.text and "zelf gevonden" in page.text
    page = _follow(browser, browser.post(f"/makelen/vragen/{qid}/notitie",
                                         data={"notitie": "vrager gebeld"}))
    assert "vrager gebeld" in page.text


def test_the_pages_need_staff(browser: TestClient, keys: Keys) -> None:
    browser.cookies.set(COOKIE, keys.member)
    assert browser.get("/makelen").status_code == 403
    browser.cookies.clear()
    r = browser.get("/makelen")
    assert r.status_code == 401 and "sleutel" in r.text.lower()
