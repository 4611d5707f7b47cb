"""A notice that starts something, in a real browser (issue 16): the demo's "thuiszitters"
was asked in three regions; staff start a Community of Practice from the question's page,
the askers are invited, and one of them finds the invitation on Voor jou and accepts it.

Runs on the shared demo of tests/service/conftest.py. Set SCHAKEL_SCREENSHOT_DIR to keep the
screenshots (the README's docs/img/).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from conftest import Demo
    from playwright.sync_api import Browser, Page

AXE = Path(__file__).with_name("axe") / "axe.min.js"  # as in test_pages_a11y_browser.py
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
QUESTION = "q-demo-03"  # seeds/questions.yaml: thuiszitters, asked in three regions
NAME = "CoP Thuiszitters in het hele land"


def _shot(page: Page, name: str) -> None:
    keep = os.environ.get("SCHAKEL_SCREENSHOT_DIR")
    if keep:
        page.screenshot(path=str(Path(keep) / name), full_page=True)


def _watch(page: Page, errors: list[str]) -> Page:
    page.set_default_timeout(120_000)  # a busy machine: the first slate waits for the matcher
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


def _axe(page: Page) -> list[dict[str, object]]:
    """Serious and critical WCAG A/AA violations on the page as it is now (forms open)."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help}))", TAGS)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def _member_key(demo: Demo, member_id: str) -> str:
    exe = Path(sys.executable).with_name("schakel")
    made = subprocess.run([str(exe), "users", "add", f"vrager-{member_id}", "--role", "member",
                           "--member", member_id, "--replace"],
                          env=demo.env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stdout + made.stderr
    return made.stdout.strip().splitlines()[-1]


def _askers(demo: Demo) -> list[str]:
    """The members who asked about thuiszitters (the queue, through the API as staff)."""
    api = {"Authorization": f"Bearer {demo.staff_key}"}
    queue = httpx.get(f"{demo.base}/api/v1/questions", headers=api, timeout=120).json()
    return sorted({q["asker"]["id"] for q in queue["data"]
                   if q["asker"] and q["asker"]["label"] == "Member"
                   and "thuiszitters" in {t["id"] for t in q["themes"]}})


@pytest.mark.slow
def test_staff_start_a_community_from_a_notice_and_an_asker_joins(demo: Demo,
                                                                  browser: Browser) -> None:
    errors: list[str] = []
    askers = _askers(demo)
    assert askers, "the demo's notice has no member asking"
    staff = _watch(browser.new_context(bypass_csp=True).new_page(), errors)  # axe is inline
    _log_in(staff, demo, demo.staff_key, f"/makelen/vragen/{QUESTION}")
    notice = staff.locator(".notice").filter(has_text="Terugkerend thema")
    # the demo asks it in 3 regions; other browser tests on the shared demo may add more
    regions = re.search(r"gevraagd in (\d+) regio's", notice.inner_text())
    assert regions and int(regions.group(1)) >= 3, notice.inner_text()
    notice.get_by_text("Een groep starten voor Thuiszitters").click()
    notice.get_by_label("Community of Practice").check()
    notice.get_by_label("Naam van de groep (mag leeg: dan naar het thema)").fill(NAME)
    assert _axe(staff) == []  # the opened form too
    _shot(staff, "melding-groep-starten.png")
    notice.get_by_role("button", name="Groep starten en vragers uitnodigen").click()
    staff.wait_for_url(f"{demo.base}/community/**")
    assert staff.locator("h1").inner_text() == NAME
    status = staff.locator("p.notice").inner_text()
    assert status.startswith("De groep is gestart.") and "uitgenodigd" in status
    community = staff.url.split("?")[0]

    # An asker who was invited finds it on Voor jou and accepts on the community's page.
    api = httpx.Client(base_url=demo.base, timeout=60)
    invited = None
    for member_id in askers:
        key = _member_key(demo, member_id)
        page = api.get(f"/api/v1/communities/{community.rsplit('/', 1)[1]}/page",
                       headers={"Authorization": f"Bearer {key}"}).json()
        if page["standing"] == "invited":
            invited = key
            break
    assert invited, "no asker was invited"
    person = _watch(browser.new_context(bypass_csp=True).new_page(), errors)
    _log_in(person, demo, invited, "/voor-jou")
    person.get_by_role("heading", name="U bent uitgenodigd").wait_for()
    person.locator("ul.invitations").get_by_role("link", name=NAME).click()  # also suggested
    person.wait_for_url(community)
    assert _axe(person) == []
    _shot(person, "uitnodiging.png")
    person.get_by_role("button", name="Uitnodiging aannemen").click()
    person.wait_for_url(f"{community}?gedaan=member")
    assert "Welkom: u bent lid." in person.locator("p.notice").inner_text()
    assert person.get_by_role("button", name="Verlaat deze community").is_visible()

    # Back on the question, staff see the group is started (and cannot start it twice).
    staff.goto(f"{demo.base}/makelen/vragen/{QUESTION}")
    assert staff.get_by_role("link", name="Community of Practice over Thuiszitters").is_visible()
    assert errors == []
