"""WCAG 2.1 AA in the browser: axe-core walks every page, logged out and for each role, and
keyboard-only flows ask a question, broker and change the profile.

axe-core (tests/service/axe/axe.min.js, from npm, MPL-2.0) is injected into the page by
Playwright; a page passes with no serious or critical violation of the WCAG 2.0/2.1 A and AA
rules. The demo is the one of tests/service/conftest.py. With SCHAKEL_SCREENSHOT_DIR set (as
for the map's test) the walk also writes the README's screenshots there, desktop and 390 px.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Demo
    from playwright.sync_api import Browser, Page

AXE = Path(__file__).with_name("axe") / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Every page route (GET, outside /api) with a path to open it; {q} is a question, {m} a member.
PAGES = {
    "/": "/", "/leden": "/leden?thema=thuiszitters", "/leden/{member_id}": "/leden/{m}",
    "/praktijkvoorbeelden": "/praktijkvoorbeelden",
    "/zoeken": "/zoeken?vraag=thuiszitters&plaats=Enschede&straal=60",
    "/inloggen": "/inloggen", "/matchen": "/matchen?vraag=Wie+helpt+bij+thuiszitters+in+Emmen%3F",
    "/kaart": "/kaart",
    "/kaart/witte-vlekken": "/kaart/witte-vlekken?thema=thuiszitters&plaats=Drenthe",
    "/kaart/makelaars": "/kaart/makelaars", "/mijn-profiel": "/mijn-profiel",
    "/mijn-vragen": "/mijn-vragen", "/makelen": "/makelen",
    "/makelen/vragen/{question_id}": "/makelen/vragen/{q}", "/makelen/cijfers": "/makelen/cijfers",
    "/lid-worden": "/lid-worden", "/aanmeldingen": "/aanmeldingen", "/voor-jou": "/voor-jou",
    "/agenda": "/agenda", "/agenda-nieuw": "/agenda-nieuw", "/agenda/{activity_id}": "/agenda/{a}",
    "/mijn-agenda": "/mijn-agenda", "/community": "/community",
    "/community/{community_id}": "/community/com-cop-monitoring", "/intervisie": "/intervisie",
    "/mijn-signalen": "/mijn-signalen", "/signalen": "/signalen",
    "/signalen/{signal_id}": "/signalen/{s}", "/signalen/clusters": "/signalen/clusters",
    "/signalen/clusters/{cluster_id}": "/signalen/clusters/{k}",
    "/signalen/clusters/{cluster_id}/brief": "/signalen/clusters/{k}/brief",
    "/signalen/uitvragen": "/signalen/uitvragen",
    "/signalen/tafels/{table_id}": "/signalen/tafels/tafel-ozkt",
}
OWN = {route for route in PAGES  # pages of a member's own things: staff accounts have none
       if route.startswith("/mijn") or route == "/voor-jou"}
NOT_HTML = {"/agenda/{activity_id}/agenda.ics", "/mijn-agenda.ics", "/favicon.ico",
            "/signalen/clusters/{cluster_id}/brief.md"}  # files, not pages
OPEN_TO = {  # the weakest role that may open a page; others get the login page or 403
    "/inloggen": None, "/lid-worden": None, "/matchen": "staff", "/kaart": "staff",
    "/kaart/witte-vlekken": "staff", "/kaart/makelaars": "staff", "/makelen": "staff",
    "/makelen/vragen/{question_id}": "staff", "/makelen/cijfers": "staff",
    "/aanmeldingen": "staff", "/agenda-nieuw": "staff", "/intervisie": "staff",
    **{route: "staff" for route in PAGES
       if route.startswith("/signalen")},
}
QUESTION = "q-demo-02"  # from seeds/questions.yaml
RANK = {None: 0, "member": 1, "staff": 2, "admin": 3}
# Screenshots for the README: route -> (file name, the role that sees it).
MAIN = {"/": ("overzicht", "member"), "/zoeken": ("in-de-buurt", "member"),
        "/mijn-profiel": ("mijn-profiel", "member"), "/matchen": ("matchen", "staff"),
        "/makelen/vragen/{question_id}": ("makelen-vraag", "staff"),
        "/makelen/cijfers": ("makelen-cijfers", "staff"),
        "/kaart/witte-vlekken": ("witte-vlekken", "staff"),
        "/kaart/makelaars": ("makelaars", "staff")}


def _account(demo: Demo, name: str, role: str) -> str:
    exe = Path(sys.executable).with_name("schakel")
    made = subprocess.run([str(exe), "users", "add", name, "--role", role, "--replace"],
                          env=demo.env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stdout + made.stderr
    return made.stdout.strip().splitlines()[-1]


def _log_in(page: Page, demo: Demo, key: str) -> None:
    page.set_default_timeout(120_000)  # the first question waits for the matcher to warm up
    page.goto(f"{demo.base}/inloggen")
    page.fill("#sleutel", key)
    with page.expect_navigation():
        page.click("form.search button[type=submit]")


def axe(page: Page) -> list[dict[str, Any]]:
    """The serious and critical WCAG A/AA violations axe-core finds on the page."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))", TAGS)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_every_page_route_is_walked(tmp_path: Path) -> None:
    """A new page must be added to PAGES, so axe checks it too."""
    from schakel.service.app import create_app
    from schakel.service.auth import declared_routes
    from schakel.service.config import Settings

    app = create_app(Settings(data_dir=tmp_path))
    pages = {path for method, path, _ in declared_routes(app)
             if method == "GET" and not path.startswith("/api")}
    assert pages == set(PAGES) | NOT_HTML, pages ^ (set(PAGES) | NOT_HTML)


@pytest.fixture(scope="module")
def ids(demo: Demo) -> dict[str, str]:
    """Ids for the pages of things the demo does not make: an activity, a signal, a cluster."""
    import httpx

    api = {"Authorization": f"Bearer {demo.staff_key}"}
    with httpx.Client(base_url=demo.base, timeout=120) as client:
        texts = ("Leerlingen met een zorgvraag wachten maanden op passend onderwijs in {}.",
                 "In {} vinden kinderopvangorganisaties geen pedagogisch medewerkers meer.")
        for text in texts:  # two kinds of alike signals, so the clustering finds groups
            for place in ("Emmen", "Assen", "Hoogeveen", "Meppel", "Coevorden", "Zwolle"):
                signal = client.post("/api/v1/signals", headers=api,
                                     json={"text": text.format(place)})
                assert signal.status_code == 201, signal.text
        clusters = client.get("/api/v1/signals/clusters", headers=api)
        assert clusters.status_code == 200 and clusters.json()["data"], clusters.text
        client.cookies.set("schakel_sleutel", demo.staff_key)
        client.get("/agenda-nieuw")
        made = client.post("/agenda-nieuw", follow_redirects=False, data={
            "csrf_token": client.cookies.get("schakel_csrf"), "titel": "Webinar thuiszitters",
            "soort": "webinar", "datum": "2027-03-04", "begin": "15:00", "eind": "16:30",
            "online": "true", "thema": ["thuiszitters"], "plaatsen": "40"})
        assert made.status_code == 303, made.text[-800:]
    return {"q": QUESTION, "m": demo.member_id, "s": signal.json()["id"],
            "k": clusters.json()["data"][0]["id"],
            "a": made.headers["location"].rsplit("/", 1)[1]}


@pytest.mark.slow
@pytest.mark.parametrize("role", [None, "member", "staff", "admin"])
def test_every_page_passes_axe(demo: Demo, browser: Browser, ids: dict[str, str],
                               role: str | None) -> None:
    keys = {"member": demo.member_key, "staff": demo.staff_key}
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    if role:
        _log_in(page, demo, keys.get(role) or _account(demo, "a11y-beheer", role))
    shots = os.environ.get("SCHAKEL_SCREENSHOT_DIR")
    problems = {}
    for route, path in PAGES.items():
        url = demo.base + path.format(**ids)
        answer = page.goto(url)
        assert answer is not None and answer.status < 500, (route, answer and answer.status)
        may = RANK[role] >= RANK[OPEN_TO.get(route, "member")]
        if role and may and not (route in OWN and role != "member"):
            assert answer.status == 200, (route, answer.status)
        page.wait_for_load_state("networkidle")
        if found := axe(page):
            problems[route] = found
        if shots and MAIN.get(route, ("", ""))[1] == role:
            _shoot(page, Path(shots) / MAIN[route][0], url.split("?thema=")[0])
    assert not problems, problems
    context.close()


def _shoot(page: Page, name: Path, url: str) -> None:
    """The top of the page (at most 1,600 px) at desktop width and at 390 px."""
    name.parent.mkdir(parents=True, exist_ok=True)
    for width, suffix in ((1280, ""), (390, "-390")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.wait_for_load_state("networkidle")
        height = min(1600, page.evaluate("document.documentElement.scrollHeight"))
        page.screenshot(path=f"{name}{suffix}.png", full_page=True,
                        clip={"x": 0, "y": 0, "width": width, "height": height})
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.slow
def test_no_page_is_wider_than_a_phone(demo: Demo, browser: Browser,
                                       ids: dict[str, str]) -> None:
    """At 390 px nothing sticks out to the right: wide tables scroll inside their own box."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    _log_in(page, demo, demo.staff_key)
    wide = {}
    for route, path in PAGES.items():
        if route in OWN:
            continue
        page.goto(demo.base + path.format(**ids))
        if (width := page.evaluate("document.documentElement.scrollWidth")) > 390:
            wide[route] = width
    assert not wide, wide
    context.close()


def _focus_ring(page: Page) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")


def _tab_to(page: Page, selector: str, limit: int = 400) -> None:
    """Press Tab until ``selector`` has the focus, checking each stop shows a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert _focus_ring(page) not in ("none", ""), selector
            return
    pytest.fail(f"Tab never reached {selector}")


@pytest.mark.slow
def test_keyboard_only_question_and_profile(demo: Demo, browser: Browser) -> None:
    """A member asks a question and changes the profile's themes with the keyboard only."""
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, demo, demo.member_key)

    page.goto(f"{demo.base}/mijn-vragen")
    _tab_to(page, "#tekst")
    page.keyboard.type("Wie weet hoe je ouders betrekt bij een thuiszitter in Enschede?")
    _tab_to(page, "form.profile button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Uw vraag staat bij het regiebureau" in page.locator("main").inner_text()

    page.goto(f"{demo.base}/mijn-profiel")
    before = page.locator("#themas input:checked").count()
    _tab_to(page, "#themas input[value='thuiszitters']")
    was = page.locator("#themas input[value='thuiszitters']").is_checked()
    page.keyboard.press("Space")
    _tab_to(page, "form.profile button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/mijn-profiel?opgeslagen=true")
    after = page.locator("#themas input:checked").count()
    assert after == before + (-1 if was else 1)  # the other choices stayed
    context.close()


@pytest.mark.slow
def test_keyboard_only_brokering(demo: Demo, browser: Browser) -> None:
    """Staff make a slate for a question and propose a candidate with the keyboard only."""
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, demo, demo.staff_key)
    page.goto(f"{demo.base}/makelen/vragen/q-demo-03")
    if page.locator("ol.slate").count() == 0:
        _tab_to(page, "form[action$='/voorstel'] button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    first = page.locator("ol.slate > li.result[data-state=proposed]").first
    card = first.get_attribute("id")
    _tab_to(page, f"li[id='{card}'] form.actions button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(f"li[id='{card}']").get_attribute("data-state") != "proposed"
    context.close()


@pytest.mark.slow
def test_map_has_a_table_alternative(demo: Demo, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, demo, demo.staff_key)
    page.goto(f"{demo.base}/kaart?thema=thuiszitters")
    link = page.get_by_role("link", name="De kaart als tabel")
    with page.expect_navigation():
        link.click()
    assert "/kaart/makelaars" in page.url and "thema=thuiszitters" in page.url
    assert page.locator("table.tabel tbody tr").count() >= 1
    context.close()
