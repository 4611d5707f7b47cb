"""Lid worden en elkaar ontmoeten, in a real browser (issue 16): a person applies, staff
approve and pass on the key, the new member logs in, sees "Voor jou" with reasons for both
sides, signs up for an activity, downloads its calendar file and joins a community.

Runs on the shared demo of tests/service/conftest.py (after the other browser tests). Set
SCHAKEL_SCREENSHOT_DIR to keep the screenshots (the README's docs/img/).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Demo
    from playwright.sync_api import Browser, Page

NAME = "Ilse van Wijngaarden"
DAY = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")


def _shot(page: Page, name: str) -> None:
    keep = os.environ.get("SCHAKEL_SCREENSHOT_DIR")
    if keep:
        page.screenshot(path=str(Path(keep) / name), full_page=True)


def _watch(page: Page, errors: list[str]) -> Page:
    page.on("pageerror", lambda e: errors.append(f"script: {e}"))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 500 else None)
    return page


def _log_in(page: Page, demo: Demo, key: str, path: str) -> None:
    page.goto(f"{demo.base}{path}")
    assert page.locator("h1").inner_text() == "Inloggen"
    page.fill("#sleutel", key)
    page.click("form.search button[type=submit]")
    page.wait_for_url(f"{demo.base}{path}")


@pytest.mark.slow
def test_apply_approve_meet_sign_up_and_join(demo: Demo, browser: Browser) -> None:
    errors: list[str] = []
    person = _watch(browser.new_context(accept_downloads=True).new_page(), errors)
    staff = _watch(browser.new_context().new_page(), errors)

    # A person applies on the public page: the three questions, themes, consent.
    person.goto(f"{demo.base}/")
    person.get_by_role("link", name="Lid worden").click()
    assert person.locator("h1").inner_text() == "Lid worden van Met Andere Ogen"
    person.get_by_label("Naam", exact=True).fill(NAME)
    person.get_by_label("E-mail of telefoon", exact=True).fill("ilse@voorbeeld.example")
    person.get_by_label("Organisatie (kies of typ een nieuwe)", exact=True).fill(
        "Oudervereniging De Brug")
    person.get_by_label("Gemeente", exact=True).fill("Emmen")
    person.get_by_label("Functie", exact=True).fill("moeder en ervaringsdeskundige")
    person.locator("input[name=domein][value='ouders-jongeren']").check()
    person.get_by_label("Ik werk vooral in", exact=True).select_option("uitvoering")
    person.get_by_label("Ik kijk vooral als", exact=True).select_option("ouder/verzorger")
    person.get_by_label("Wat wilt u leren?", exact=True).fill(
        "Hoe school en zorg samen autisme aanpakken.")
    person.get_by_text("Kies thema's waarover u wilt leren").click()  # opens the list
    person.locator("#leren-themas input[value=autisme]").check()
    person.get_by_label("Wat heeft u nodig? (uw eerste vraag aan het netwerk)", exact=True).fill(
        "Wie in Drenthe kan mij helpen om school en jeugdhulp om tafel te krijgen?")
    person.get_by_label("Wat komt u brengen?", exact=True).fill(
        "Tien jaar ervaring als ouder in gesprek met school en jeugdhulp.")
    person.get_by_text("Kies thema's waar u veel van weet").click()
    for theme in ("privacy_avg", "hervormingsagenda_jeugd"):
        person.locator(f"#brengen-themas input[value={theme}]").check()
    person.get_by_label("Het regiebureau mag deze gegevens bewaren").check()
    _shot(person, "lid-worden.png")
    person.get_by_role("button", name="Aanmelden").click()
    assert person.locator("h1").inner_text() == f"Bedankt, {NAME}"

    # Staff approve it in the intake queue and read the key once.
    _log_in(staff, demo, demo.staff_key, "/aanmeldingen")
    row = staff.locator("table.queue tbody tr", has_text=NAME)
    assert "Heeft nodig: Wie in Drenthe" in row.inner_text()
    _shot(staff, "aanmeldingen.png")
    row.get_by_role("button", name="goedkeuren").click()
    assert staff.locator("h1").inner_text() == f"{NAME} is lid"
    key = staff.locator("#sleutel").inner_text()
    assert re.fullmatch(r"sk-[\w-]+", key)

    # Staff put an activity on the agenda.
    staff.goto(f"{demo.base}/agenda-nieuw")
    staff.get_by_label("Titel", exact=True).fill("Webinar: autisme, school en ouders")
    staff.get_by_label("Soort", exact=True).select_option("webinar")
    staff.get_by_label("Datum", exact=True).fill(DAY)
    staff.get_by_label("Begint om", exact=True).fill("15:00")
    staff.get_by_label("Eindigt om", exact=True).fill("16:30")
    staff.get_by_label("Online", exact=True).check()
    staff.get_by_label("Thema's", exact=True).select_option(["autisme"])
    staff.get_by_label("Aantal plaatsen", exact=True).fill("25")
    staff.get_by_role("button", name="Activiteit opslaan").click()
    assert staff.locator("h1").inner_text() == "Webinar: autisme, school en ouders"

    # The new member logs in with the key and finds people to meet, with both sides.
    _log_in(person, demo, key, "/voor-jou")
    cards = person.locator("ol.voor-jou > li[data-id]")
    assert cards.count() >= 1, person.content()[:3000]
    first = cards.first.inner_text()
    assert "waarover u wilt leren" in first and "wil leren over" in first, first
    assert "Autisme" in first
    _shot(person, "voor-jou.png")
    cards.first.get_by_role("button", name=re.compile("^Kennismaken met")).click()
    assert "Uw vraag om kennis te maken is verstuurd" in person.locator(
        "[role=status]").inner_text()

    # Voor jou suggests the activity too; the agenda filtered by theme; sign up; the
    # calendar file.
    person.goto(f"{demo.base}/voor-jou")
    assert "Webinar: autisme, school en ouders" in person.locator("main").inner_text()
    person.goto(f"{demo.base}/agenda?thema=autisme&maand={DAY[:7]}")
    _shot(person, "agenda.png")
    person.get_by_role("link", name="Webinar: autisme, school en ouders").click()
    person.get_by_role("button", name="Inschrijven").click()
    assert person.locator("[role=status]").inner_text() == "U bent ingeschreven."
    with person.expect_download() as download:
        person.get_by_role("link", name="Zet in mijn agenda (.ics)").click()
    ics = Path(download.value.path()).read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in ics and "SUMMARY:Webinar: autisme\\, school en ouders" in ics
    assert f"DTSTART;TZID=Europe/Amsterdam:{DAY.replace('-', '')}T150000" in ics
    person.goto(f"{demo.base}/mijn-agenda")
    assert "Webinar: autisme, school en ouders" in person.locator("table").inner_text()

    # Join a community: ask, staff accept, the member is in.
    person.goto(f"{demo.base}/community")
    person.locator("ul.cards a").first.click()
    community_url = person.url
    person.get_by_role("button", name=re.compile("^Word lid van")).click()
    assert "Uw verzoek is verstuurd" in person.locator("[role=status]").inner_text()
    staff.goto(community_url)
    staff.locator("table tr", has_text=NAME).get_by_role("button", name="Toelaten").click()
    person.goto(community_url)
    assert person.locator("p.status").inner_text() == "U bent lid."
    assert NAME in person.locator("main").inner_text()
    _shot(person, "community.png")
    assert errors == []
