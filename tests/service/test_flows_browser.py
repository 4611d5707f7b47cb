"""Whole user flows in a real browser: Debian's chromium, driven by Playwright.

One `schakel demo` runs as a real process on a free port with a scratch data dir
(tests/service/conftest.py); the browser logs in through the /inloggen form with the keys the demo
prints and clicks through the Dutch pages:

- staff: from a new leervraag in the queue to an introduction with an outcome, with the
  double opt-in before contact details show, a refused step, the history and the numbers;
- a member: searching people nearby, changing the own profile, downloading the own data,
  and being kept out of the staff pages;
- a member erasing their data, after which their key no longer works.

The tests run in file order and share the demo: the erasure comes last and erases another
member than the one the other tests use. Most of the run time is the demo's matcher
warming up: the first question waits for it. Without /usr/bin/chromium the tests are
skipped locally, and fail under CI (env CI set).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx
import pytest

from schakel.service.auth import COOKIE

if TYPE_CHECKING:
    from conftest import Demo
    from playwright.sync_api import Browser, Locator, Page

# Asks q-demo-01 in seeds/questions.yaml (the 6th demo member); erased by the last test.
ERASED = "m-000006"
QUESTION = ("Op onze school in Emmen zitten drie leerlingen al maanden thuis. Wie heeft "
            "ervaring met thuiszitters en een aanpak samen met jeugdhulp?")


class Watch:
    """Script errors and server errors (5xx) seen by the pages it watches: a flow must
    have none."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, page: Page) -> Page:
        page.on("pageerror", lambda e: self.errors.append(f"script: {e}"))
        page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}")
                if r.status >= 500 else None)
        return page


def _log_in(page: Page, demo: Demo, key: str, path: str) -> None:
    """Open ``path``, get the login form, send the key and land on ``path``."""
    page.goto(f"{demo.base}{path}")
    assert page.locator("h1").inner_text() == "Inloggen"
    page.fill("#sleutel", key)
    page.click("form.search button[type=submit]")
    page.wait_for_url(f"{demo.base}{path}")


def _post(page: Page, target: str | Locator) -> int:
    """Submit a form by clicking ``target`` (a selector or a button), wait for the page
    that follows (after a redirect, if any) and return the status of the POST's own answer."""
    button = page.locator(target) if isinstance(target, str) else target
    with page.expect_navigation(), \
            page.expect_response(lambda r: r.request.method == "POST") as answer:
        button.click()
    return answer.value.status


def _recent(stamp: str, within: timedelta = timedelta(minutes=10)) -> bool:
    """A history time ("2025-03-01 09:30", Dutch wall-clock time) is from the last few
    minutes."""
    moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M").replace(
        tzinfo=ZoneInfo("Europe/Amsterdam"))
    return abs(datetime.now(UTC) - moment) < within


@pytest.mark.slow
def test_staff_from_question_to_introduction(demo: Demo, browser: Browser) -> None:
    context = browser.new_context()
    # The first question waits for the demo's matcher to encode every profile: on a busy
    # 2-core machine that is more than playwright's default 30 s.
    context.set_default_timeout(180_000)
    watch = Watch()
    page = watch(context.new_page())

    # A wrong key is refused in Dutch; the right one opens the page asked for.
    page.goto(f"{demo.base}/makelen")
    page.fill("#sleutel", "sk-verzonnen")
    page.click("form.search button[type=submit]")
    assert "Deze sleutel kennen we niet" in page.locator("[role=alert]").inner_text()
    page.fill("#sleutel", demo.staff_key)
    page.click("form.search button[type=submit]")
    page.wait_for_url(f"{demo.base}/makelen")

    # The queue: the demo's example questions, oldest first.
    assert page.locator("h1").inner_text() == "Matchen en makelen"
    rows = page.locator("table.queue tbody tr[data-id]")
    ids = [rows.nth(i).get_attribute("data-id") for i in range(rows.count())]
    demo_ids = [i for i in ids if i and i.startswith("q-demo-")]
    assert len(demo_ids) >= 6, ids
    dates = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert dates == sorted(dates) and dates[0] < dates[-1], dates
    assert demo_ids == sorted(demo_ids)  # the seeds are numbered from old to new

    # A new leervraag through the form, asked for the demo member (this waits for the
    # matcher to warm up: it reads the themes and the place from the text).
    page.fill("#tekst", QUESTION)
    page.get_by_label("Vrager (id van lid, organisatie of gemeente)").fill(demo.member_id)
    page.get_by_label("Soort").select_option("leervraag")
    assert _post(page, page.get_by_role("button", name="Vraag opnemen", exact=True)) == 303
    assert re.fullmatch(rf"{demo.base}/makelen/vragen/q-[\w-]+", page.url), page.url
    question_url = page.url
    qid = question_url.rsplit("/", 1)[1]
    assert page.locator("h1").inner_text() == "Leervraag (nieuw)"
    assert page.locator("blockquote").inner_text() == QUESTION
    facts = page.locator("dl.facts").inner_text()
    assert demo.member_id in facts and "Emmen" in facts  # the place read from the text
    assert "Thuiszitters" in page.locator("dl.facts dd").nth(3).inner_text()

    # The slate, with Dutch reasons for every candidate.
    assert _post(page, page.get_by_role("button", name="Maak een voorstel", exact=True)) == 303
    assert page.url == f"{question_url}#voorstel"
    assert page.locator("h1").inner_text() == "Leervraag (in behandeling)"
    cards = page.locator("ol.slate > li.result")
    assert cards.count() >= 3
    for i in range(cards.count()):
        reasons = cards.nth(i).locator("ul.reasons li").all_inner_texts()
        assert reasons, cards.nth(i).inner_text()
    everything = " ".join(page.locator("ol.slate ul.reasons").all_inner_texts())
    for dutch in ("Zelfde woorden als in de vraag", "Werkt aan", "km van Emmen"):
        assert dutch in everything, everything
    people = page.locator("ol.slate > li.result[data-state=proposed][data-candidate^='m-']")
    assert people.count() >= 1
    card_id = people.first.get_attribute("id")
    candidate = people.first.get_attribute("data-candidate")
    name = people.first.locator("h3 a").inner_text()
    assert card_id and candidate and name
    card = page.locator(f"li[id='{card_id}']")
    assert card.locator("p.status").inner_text() == "voorgesteld"

    # A second tab keeps the slate as it is now, to try a step that no longer fits.
    stale = watch(context.new_page())
    stale.goto(question_url)

    def step(button: str, state: str, status_nl: str, note: str = "") -> None:
        if note:
            card.get_by_label("Notitie").fill(note)
        assert _post(page, card.get_by_role("button", name=button, exact=True)) == 303
        assert page.url == f"{question_url}#{card_id}"
        assert card.get_attribute("data-state") == state
        assert card.locator("p.status").inner_text() == status_nl
        shown = state in ("asker_accepted", "introduced", "closed")  # both said yes
        assert card.locator(".contact").count() == (1 if shown else 0)

    step("goedkeuren", "approved", "goedgekeurd, kandidaat gevraagd", note="past goed")
    assert page.locator("h1").inner_text() == "Leervraag (voorgesteld)"
    step("kandidaat zegt ja", "candidate_accepted", "kandidaat akkoord, vrager gevraagd")
    before_both = page.content()
    assert "Contactgegevens" not in before_both
    step("vrager zegt ja", "asker_accepted", "beide akkoord")
    contact = card.locator(".contact")
    assert "Contactgegevens (beide akkoord)" in contact.inner_text()
    lines = contact.locator("li").all_inner_texts()
    assert len(lines) == 2 and lines[0].startswith(f"Kandidaat: {name}"), lines
    assert lines[1].startswith("Vrager: ") and " — " in lines[1], lines
    # E-mail or phone, or "via het regiebureau" without consent to share them. The demo
    # member (the asker here) shares theirs, so at least one real detail shows.
    details = [line.rsplit(" — ", 1)[1] for line in lines]
    shared = [d for d in details if d != "via het regiebureau"]
    assert shared, lines
    for detail in shared:
        assert detail not in before_both, f"{detail} shown before both said yes"
    step("introductie gedaan", "introduced", "geïntroduceerd")
    card.get_by_label("Uitkomst").select_option("nuttig")
    step("uitkomst vastleggen", "closed", "afgerond: nuttig")
    assert card.locator("form.actions").count() == 0  # nothing more to do

    # The stale tab offers "goedkeuren" still; the server refuses it in Dutch.
    old = stale.locator(f"li[id='{card_id}']")
    assert old.get_attribute("data-state") == "proposed"
    status = _post(stale, old.get_by_role("button", name="goedkeuren", exact=True))
    assert status == 409
    assert stale.locator("h1").inner_text() == "Dat kan nu niet"
    assert ("'goedkeuren' kan niet: de introductie is afgerond; deze introductie is "
            "afgesloten") in stale.locator("[role=alert]").inner_text()
    # Adding the asker as their own candidate is refused too, on the same kind of page.
    stale.goto(question_url)
    stale.get_by_label("Id van lid, regio, praktijkvoorbeeld of community").fill(demo.member_id)
    assert _post(stale, stale.get_by_role("button", name="Toevoegen", exact=True)) == 409
    assert stale.locator("h1").inner_text() == "Dat kan nu niet"
    assert "de vrager zelf" in stale.locator("[role=alert]").inner_text()
    # And a question for someone who does not exist.
    stale.goto(f"{demo.base}/makelen")
    stale.fill("#tekst", QUESTION)
    stale.get_by_label("Vrager (id van lid, organisatie of gemeente)").fill("m-999999")
    assert _post(stale, stale.get_by_role("button", name="Vraag opnemen", exact=True)) == 422
    assert stale.locator("h1").inner_text() == "Dat klopt niet helemaal"
    assert "m-999999" in stale.locator("[role=alert]").inner_text()

    # The history says who did what, and when.
    rows = page.locator("table.history tbody tr")
    history = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
    # "goedkeuren (m-000085)", "vraag aangenomen — thema's: ..."
    done = {re.split(r" \(| — ", what)[0]: (at, who, note) for at, who, what, note in history}
    for action in ("vraag aangenomen", "voorstel gemaakt", "goedkeuren", "kandidaat zegt ja",
                   "vrager zegt ja", "introductie gedaan", "uitkomst vastleggen"):
        assert action in done, history
        at, who, _ = done[action]
        assert who == "demo-regiebureau", history
        assert _recent(at), history
    assert done["goedkeuren"][2] == "past goed"
    assert any(what == f"uitkomst vastleggen ({candidate}) — nuttig"
               for _, _, what, _ in history), history
    assert page.locator("h1").inner_text() == "Leervraag (afgerond)"

    # The question left the queue for the "afgerond" list.
    page.goto(f"{demo.base}/makelen")
    assert page.locator(f"table.queue tr[data-id='{qid}']").count() == 0
    page.click("nav.subnav a:has-text('afgerond')")
    assert page.locator(f"table.queue tr[data-id='{qid}'] td.status").inner_text() == "afgerond"

    # The numbers: an acceptance rate, the introduction and its outcome.
    page.click("a:has-text('Cijfers')")
    page.wait_for_url(f"{demo.base}/makelen/cijfers")
    stats = page.locator("ul.stats").inner_text()
    rate = re.search(r"(\d+)%\s+beide kanten akkoord \(van (\d+) beslist\)", stats)
    assert rate, stats
    assert int(rate.group(2)) >= 1 and int(rate.group(1)) > 0
    introduced = re.search(r"(\d+)\s+introducties", stats)
    assert introduced and int(introduced.group(1)) >= 1, stats
    assert re.search(r"Uitkomsten: .*nuttig [1-9]", page.locator("main").inner_text())
    assert not watch.errors, watch.errors
    context.close()


@pytest.mark.slow
def test_member_searches_edits_profile_and_takes_out_data(demo: Demo, browser: Browser) -> None:
    context = browser.new_context(accept_downloads=True)
    watch = Watch()
    page = watch(context.new_page())
    _log_in(page, demo, demo.member_key, "/zoeken")
    assert page.get_by_role("link", name="Mijn profiel", exact=True).is_visible()
    # The header greets the member by their own name, not by the account's name.
    greeting = page.locator("header .who").inner_text()
    assert greeting and greeting != "demo-lid"

    # People by theme and place, with reasons that say where.
    page.get_by_label("Thema").select_option(label="Gedragsproblemen en gedragsondersteuning")
    page.get_by_label("Gemeente of regio").fill("Regio Twente")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*/zoeken\?.*thema=gedrag.*"))
    assert "plaats=Regio+Twente" in page.url
    heading = page.locator("#resultaten").inner_text()
    found = re.fullmatch(r"(\d+) (?:lid|leden) gevonden rond Regio Twente", heading)
    assert found and int(found.group(1)) >= 1, heading
    reasons = page.locator("li.result p.why").all_inner_texts()
    assert reasons and all(r.startswith("werkt aan ") and r.endswith(", in Regio Twente")
                           for r in reasons), reasons
    # With a radius, people just outside come in, with their distance.
    page.get_by_label("Straal in km").fill("40")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*straal=40.*"))
    heading = page.locator("#resultaten").inner_text()
    more = re.fullmatch(r"(\d+) (?:lid|leden) gevonden rond Regio Twente \(tot 40 km\)", heading)
    assert more and int(more.group(1)) > int(found.group(1)), heading
    wider = page.locator("li.result p.why").all_inner_texts()
    km = [int(m.group(1)) for r in wider if (m := re.search(r"(\d+) km", r))]
    assert km and all(0 < d <= 40 for d in km), wider
    # A place that does not exist: a Dutch message, no 500.
    page.get_by_label("Gemeente of regio").fill("Atlantis")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*plaats=Atlantis.*"))
    assert re.fullmatch(r"onbekend .*'Atlantis'", page.locator("#fout").inner_text())
    assert page.locator("li.result").count() == 0

    # The own profile: a new availability and one theme more, one less.
    page.get_by_role("link", name="Mijn profiel", exact=True).click()
    page.wait_for_url(f"{demo.base}/mijn-profiel")
    themes = page.locator("#themas")
    checked = "f => [...f.querySelectorAll('input:checked')].map(i => i.value)"
    mine = themes.evaluate(checked)
    assert mine and "thuiszitters" not in mine
    wanted = [*mine[1:], "thuiszitters"]
    availability = "twee uur per maand, liefst op dinsdag"
    page.get_by_label("Beschikbaarheid").fill(availability)
    # Checkboxes: one more and one less, and the other choices stay.
    themes.locator(f"input[value='{mine[0]}']").uncheck()
    themes.locator("input[value='thuiszitters']").check()
    assert _post(page, "form.profile button[type=submit]") == 303
    assert page.url == f"{demo.base}/mijn-profiel?opgeslagen=true"
    assert page.locator("p.notice[role=status]").inner_text().startswith("Opgeslagen.")
    assert page.get_by_label("Beschikbaarheid").input_value() == availability
    now = themes.evaluate(checked)
    assert sorted(now) == sorted(wanted), now

    # The download link gives the member's own data as JSON (with the login cookie).
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download alles wat Schakel")).click()
    assert download.value.suggested_filename == "mijn-gegevens.json"
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["member"]["id"] == demo.member_id
    assert data["member"]["availability"] == availability
    works_on = {r["to"] for r in data["relationships"] if r["type"] == "WORKS_ON"}
    assert works_on == set(wanted)
    assert any(a["action"] == "eigen profiel gewijzigd" for a in data["audit"]), data["audit"]

    # The staff pages stay closed to a member.
    for path in ("/kaart", "/makelen"):
        answer = page.goto(f"{demo.base}{path}")
        assert answer is not None and answer.status == 403, path
        assert page.locator("h1").inner_text() == "Geen toegang"
    assert not watch.errors, watch.errors
    context.close()


@pytest.mark.slow
def test_member_erases_their_data(demo: Demo, browser: Browser) -> None:
    # An account of its own for the member to erase, made as an administrator would.
    exe = Path(sys.executable).with_name("schakel")
    made = subprocess.run([str(exe), "users", "add", "lid-dat-vertrekt", "--role", "member",
                           "--member", ERASED], env=demo.env, capture_output=True, text=True,
                          timeout=60)
    assert made.returncode == 0, made.stdout + made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("sk-"), made.stdout

    context = browser.new_context()
    watch = Watch()
    page = watch(context.new_page())
    _log_in(page, demo, key, "/mijn-profiel")
    assert page.locator("h1").inner_text() == "Mijn profiel"

    # Without the tick nothing is erased.
    erase = page.get_by_role("button", name="Wis mijn gegevens")
    assert _post(page, erase) == 422
    assert "Vink aan dat u zeker weet" in page.locator("ul.problems").inner_text()
    assert page.locator("h1").inner_text() == "Mijn profiel"

    page.get_by_label("Ik weet het zeker").check()
    assert _post(page, erase) == 200
    assert page.locator("h1").inner_text() == "Uw gegevens zijn gewist"
    text = page.locator("main").inner_text()
    assert "1 vraag " in text and "Uw account werkt niet meer" in text  # q-demo-01
    assert page.get_by_role("link", name="Inloggen").is_visible()  # logged out
    assert not [c for c in context.cookies() if c["name"] == COOKIE]

    # The key is gone: the login form no longer knows it.
    answer = page.goto(f"{demo.base}/mijn-profiel")
    assert answer is not None and answer.status == 401
    page.fill("#sleutel", key)
    assert _post(page, "form.search button[type=submit]") == 401
    assert page.locator("h1").inner_text() == "Inloggen"
    assert "Deze sleutel kennen we niet" in page.locator("[role=alert]").inner_text()

    # Staff no longer find the member or the question they asked.
    staff = {"Authorization": f"Bearer {demo.staff_key}"}
    assert httpx.get(f"{demo.base}/api/v1/members/{ERASED}", headers=staff).status_code == 404
    queue = httpx.get(f"{demo.base}/makelen?status=nieuw", headers=staff)
    assert queue.status_code == 200 and "q-demo-01" not in queue.text
    assert "q-demo-02" in queue.text
    assert not watch.errors, watch.errors
    context.close()


@pytest.mark.slow
def test_staff_asks_the_match_page_as_people_do(demo: Demo, browser: Browser) -> None:
    """The form as a person sends it: optional fields left empty, a typo in the place, a
    radius without a place; every answer a page with the form and a Dutch message."""
    context = browser.new_context()
    watch = Watch()
    page = watch(context.new_page())
    _log_in(page, demo, demo.staff_key, "/matchen")
    page.fill("#vraag", "Wie heeft ervaring met thuiszitters en jeugdhulp in de klas?")
    page.click("form.match button[type=submit]")
    page.wait_for_load_state()
    assert "Zo lezen we de vraag" in page.content()
    assert page.locator(".result").count() > 0  # empty place and radius: just the question
    page.get_by_label("Plaats (gemeente, regio of provincie)").fill("Enschde")
    page.click("form.match button[type=submit]")
    page.wait_for_load_state()
    assert "We kennen de plaats ‘Enschde’ niet" in page.locator("[role=alert]").inner_text()
    assert page.locator("#vraag").input_value().startswith("Wie heeft ervaring")
    page.get_by_label("Plaats (gemeente, regio of provincie)").fill("")
    page.get_by_label("Straal in km").fill("30")
    page.click("form.match button[type=submit]")
    page.wait_for_load_state()
    assert "Een straal werkt alleen samen met een plaats" in page.locator(
        "[role=alert]").inner_text()
    page.get_by_label("Plaats (gemeente, regio of provincie)").fill("Enschede")
    page.click("form.match button[type=submit]")
    page.wait_for_load_state()
    assert "Enschede" in page.locator(".understood").inner_text()
    assert not watch.errors, watch.errors
    context.close()
