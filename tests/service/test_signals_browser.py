"""Signaleren en agenderen in a real browser (Debian's chromium, driven by Playwright, on
the `schakel demo` of tests/service/conftest.py): a member raises a signal, staff take it
through all seven steps with the buttons and forms of the board, a stale tab's step is
refused in Dutch, and the member reads on "Mijn signalen" what happened."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from .test_flows_browser import Watch, _log_in, _post

if TYPE_CHECKING:
    from conftest import Demo
    from playwright.sync_api import Browser

SIGNAL = ("Kinderen met een extra ondersteuningsbehoefte wachten maanden op een plek, "
          "omdat onderwijs en jeugdhulp elk een eigen potje hebben.")
FEEDBACK = "De OZKT heeft het besproken en laat de financiering onderzoeken."


@pytest.mark.slow
def test_a_signal_through_all_seven_steps(demo: Demo, browser: Browser) -> None:
    watch = Watch()
    member = watch(browser.new_context().new_page())
    member.set_default_timeout(180_000)  # the first signal waits for the matcher to warm up
    _log_in(member, demo, demo.member_key, "/mijn-signalen")
    assert member.locator("h1").inner_text() == "Mijn signalen"
    member.get_by_label("Waar loopt u tegenaan?").fill(SIGNAL)
    member.get_by_label("Hoe dringend is het?").select_option("hoog")
    assert _post(member, member.get_by_role("button", name="Signaal versturen")) == 303
    assert "Uw signaal staat bij het regiebureau" in member.locator("[role=status]").inner_text()
    found = re.search(r"#(sig-[\w-]+)$", member.url)
    assert found, member.url
    sid = found.group(1)
    mine = member.locator(f"section[id='{sid}']")
    assert mine.get_attribute("data-step") == "1"
    assert "Stap 01 uitzetten" in mine.inner_text()

    context = browser.new_context()
    staff = watch(context.new_page())
    _log_in(staff, demo, demo.staff_key, "/signalen")
    assert staff.locator("h1").inner_text() == "Signaleren en agenderen"
    row = staff.locator(f"#stap-1 tr[id='{sid}']")
    assert SIGNAL[:40] in row.inner_text()
    # 01 -> 02 -> 03 with the board's buttons
    assert _post(staff, row.get_by_role("button", name="oogsten (relevant)")) == 303
    row = staff.locator(f"#stap-2 tr[id='{sid}']")
    assert _post(staff, row.get_by_role("button", name="toetsen (herkenning vragen)")) == 303
    assert staff.locator(f"#stap-3 tr[id='{sid}']").count() == 1

    # The member now sees it among the signals to recognise, and recognises it.
    member.goto(f"{demo.base}/mijn-signalen")
    card = member.locator(f"section[id='herken-{sid}']")
    card.get_by_label("Toelichting (mag leeg)").fill("Bij ons op school ook.")
    assert _post(member, card.get_by_role("button", name="Herken ik")) == 303
    assert "U herkent dit." in member.locator(f"section[id='herken-{sid}']").inner_text()

    # The signal's own page: deepen, share, put on the agenda, report back.
    staff.goto(f"{demo.base}/signalen/{sid}")
    url = staff.url
    assert "1 lid herkent dit." in staff.locator("main").inner_text()
    stale = watch(context.new_page())
    stale.goto(url)  # still offers "verdiepen" after it happened
    form = staff.locator("form#verdiepen")
    form.get_by_label("Oorzaken die we vonden (mag leeg)").fill("Twee geldstromen, geen regie.")
    assert _post(staff, form.get_by_role("button", name="verdiepen met experts")) == 303
    assert staff.locator("dd.step").get_attribute("data-step") == "4"
    form = staff.locator("form#delen")
    form.get_by_label("Hoe delen we het (interview, podcast, Blikvanger, update)").fill(
        "interview in de update")
    assert _post(staff, form.get_by_role("button", name="delen met het netwerk")) == 303
    form = staff.locator("form#agenderen")
    form.get_by_label("Tafel").select_option("tafel-ozkt")
    form.get_by_label("Datum").fill("2026-05-12")
    form.get_by_label("Instrument (Verbindingsroute; mag leeg)").select_option("financiering")
    form.get_by_label("Handelingsoptie (mag leeg)").select_option(
        "dataverzameling en onderzoek")
    assert _post(staff, form.get_by_role("button", name="agenderen bij een tafel")) == 303
    assert staff.locator("dd.step").get_attribute("data-step") == "6"
    form = staff.locator("form#terugkoppelen")
    form.get_by_label("Wat is er gebeurd, welke stappen zijn gezet, wat is het resultaat?"
                      ).fill(FEEDBACK)
    assert _post(staff, form.get_by_role("button", name="terugkoppelen")) == 303
    assert staff.locator("dd.step").get_attribute("data-step") == "7"
    assert staff.locator("form#terugkoppelen").count() == 0  # nothing more to do
    # the member raised and recognised it: named once
    assert staff.locator("ul.contributors li").count() == 1
    history = staff.locator("table").last.inner_text()
    for action in ("signaal ingebracht", "oogsten", "toetsen", "verdiepen", "delen",
                   "agenderen", "terugkoppelen"):
        assert action in history

    # The stale tab's "verdiepen" is refused in Dutch and changes nothing.
    status = _post(stale, stale.locator("form#verdiepen").get_by_role(
        "button", name="verdiepen met experts"))
    assert status == 409
    assert ("'verdiepen met experts' kan niet: het signaal staat bij stap 07 terugkoppelen"
            in stale.locator("[role=alert]").inner_text())
    assert stale.locator("dd.step").get_attribute("data-step") == "7"

    # The table's agenda lists it with its result.
    staff.goto(f"{demo.base}/signalen/tafels/tafel-ozkt")
    agenda = staff.locator("table").inner_text()
    assert "2026-05-12" in agenda and FEEDBACK in agenda

    # Back to the member: step 07 and what happened.
    member.goto(f"{demo.base}/mijn-signalen")
    mine = member.locator(f"section[id='{sid}']")
    assert mine.get_attribute("data-step") == "7"
    assert FEEDBACK in mine.locator(".feedback").inner_text()
    assert "Onderwijs, Zorg, Kinderopvangtafel" in mine.inner_text()
    assert watch.errors == []
