"""Every form, filled as people do: optional fields left empty, too much text (past the
browser's own maxlength, as a script or an old browser would send it) and a misspelt place,
for each role that has the form. No answer may be a server error or a raw message; too long
input gets a Dutch message beside the form; a typo is named back to the person.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Demo
    from playwright.sync_api import Browser, Page

LONG = "lang " * 1300  # 6,500 characters: more than any field takes
TYPO = "Enschde"
RAW = re.compile(r"pydantic|Traceback|Field required|String should|Input should|validation error")


@dataclass(frozen=True)
class Form:
    path: str
    form: str
    required: dict[str, str] = field(default_factory=dict)
    long: str = ""  # the field that gets too much text
    place: str = ""  # the field that gets a misspelt place
    role: str = ""  # only for this role (a one-off step another role cannot repeat)


CHECK = "☑"  # a value that ticks a checkbox or radio instead of typing


QUESTION = "Wie heeft ervaring met thuiszitters en een aanpak samen met jeugdhulp?"
SIGNAL = "Jongeren met een zorgvraag wachten maanden op een passende plek in het onderwijs."
MEMBER_FORMS = [
    Form("/zoeken", "form[role=search]", long="#vraag", place="#plaats"),
    Form("/leden", "form[role=search]", long="#plaats", place="#plaats"),
    Form("/praktijkvoorbeelden", "form[role=search]", long="#plaats", place="#plaats"),
    Form("/mijn-vragen", "form.profile", {"#tekst": QUESTION}, long="#tekst", place="#plaats"),
    Form("/mijn-profiel", "form.profile", long="#functie", place="#gemeente"),
    Form("/mijn-signalen", "form[action='/mijn-signalen']", {"#tekst": SIGNAL}, long="#tekst",
         place="#plaats"),
    # Sign up, cancel and sign up again: staff then record who was there.
    Form("/agenda/{a}", "form[action$='/inschrijven']"),
    Form("/agenda/{a}", "form[action$='/uitschrijven']"),
    Form("/agenda/{a}", "form[action$='/inschrijven']"),
    # Ask to join and withdraw, ask again: staff then accept the request.
    Form("/community/com-cop-monitoring", "form[action$='/aanmelden']"),
    Form("/community/com-cop-monitoring", "form[action$='/intrekken']"),
    Form("/community/com-cop-monitoring", "form[action$='/aanmelden']"),
    # What to learn and what to bring, so "Voor jou" finds someone to meet.
    Form("/mijn-profiel", "form.profile", {
        **{f"#leren [value={t}]": CHECK for t in ("thuiszitters", "passend_onderwijs", "lvb")},
        **{f"#brengen [value={t}]": CHECK for t in ("financiering", "monitoring", "preventie")}}),
    Form("/voor-jou", "form[action^='/voor-jou/kennismaken/']"),
]
STAFF_FORMS = [
    Form("/matchen", "form.match", {"#vraag": QUESTION}, long="#vraag", place="[name=plaats]"),
    Form("/makelen", "form.match", {"#tekst": QUESTION, "[name=vrager]": "m-000002"},
         long="#tekst", place="[name=plaats]"),
    Form("/makelen/vragen/q-demo-04", "form[action$='/notitie']", {"[name=notitie]": "Gebeld."},
         long="[name=notitie]"),
    Form("/makelen/vragen/q-demo-04", "form[action$='/status']", long="[name=notitie]"),
    Form("/makelen/vragen/q-demo-04", "form[action$='/kandidaat']",
         {"[name=kandidaat]": "m-000003"}, long="[name=kandidaat]"),
    Form("/kaart/makelaars", "form[role=search]", long="#plaats", place="#plaats"),
    Form("/kaart/witte-vlekken", "form.filters"),
    # The applications the anonymous test sent: ask for more, then approve one.
    Form("/aanmeldingen", "form:has(input[value=ask_more])", long="[name=notitie]"),
    Form("/aanmeldingen", "form:has(input[value=approve])"),
    Form("/signalen", "form[action='/signalen']", {"#tekst": SIGNAL}, long="#tekst",
         place="[name=plaats]"),
    Form("/signalen/{s}", "form[action$='/stap'].profile", long="[name=notitie]"),
    Form("/signalen/clusters", "form[action$='/samenvoegen']",
         {"[name=cluster] >> nth=0": CHECK, "[name=cluster] >> nth=1": CHECK}, role="staff"),
    Form("/signalen/clusters/{k}", "form[action$='/splitsen']",
         {"[name=signaal] >> nth=0": CHECK}, role="admin"),
    Form("/signalen/uitvragen", "form[action='/signalen/uitvragen']",
         {"#titel": "Wachtlijsten passend onderwijs"}, long="#uitleg"),
    Form("/agenda-nieuw", "form[action='/agenda-nieuw']",
         {"#titel": "Intervisie thuiszitters", "#datum": "2027-04-08", "#begin": "10:00",
          "#gemeente": "Enschede"},
         long="#beschrijving", place="#gemeente"),
    Form("/agenda/{a}", "form[action$='/aanwezig']"),
    Form("/community/com-cop-monitoring", "form[action*='/verzoek/']:has([value=accept])",
         role="staff"),
    # The demo's members give no role level, so no group is proposed to confirm (form.slate).
    Form("/intervisie", "form.filters"),
]
ANONYMOUS_FORMS = [
    Form("/lid-worden", "form[action='/lid-worden']",
         {"#naam": "Sanne de Boer", "[name=akkoord]": CHECK}, long="#functie",
         place="#gemeente"),
]


def _log_in(page: Page, demo: Demo, key: str) -> None:
    page.set_default_timeout(120_000)  # the first question waits for the matcher
    page.goto(f"{demo.base}/inloggen")
    page.fill("#sleutel", key)
    with page.expect_navigation():
        page.click("form.search button[type=submit]")


def _send(page: Page, demo: Demo, f: Form, values: dict[str, str],
          ids: dict[str, str] | None = None) -> int:
    """Open the form, lift the browser's own limits, fill ``values`` and submit; the status
    of the form's own answer (before a redirect). While the fresh demo's matcher still builds
    its indexes the answer is 503 with Retry-After; a person tries again, so does this."""
    for _ in range(40):
        status = _send_once(page, demo, f, values, ids or {})
        if status != 503:
            return status
        assert "Probeer het" in page.locator("main").inner_text()
        time.sleep(3)
    return status


def _send_once(page: Page, demo: Demo, f: Form, values: dict[str, str],
               ids: dict[str, str]) -> int:
    page.goto(demo.base + f.path.format(**ids))
    form = page.locator(f.form).first
    form.evaluate("f => f.querySelectorAll('[maxlength],[required],[minlength]').forEach(e =>"
                  " ['maxlength', 'required', 'minlength'].forEach(a => e.removeAttribute(a)))")
    for selector, value in values.items():
        if value == CHECK:  # open the disclosure it sits in, as a person would
            box = form.locator(selector)
            box.evaluate("e => { const d = e.closest('details'); if (d) d.open = true; }")
            box.check()
        else:
            form.locator(selector).fill(value)
    with page.expect_navigation(), page.expect_response(
            lambda r: r.request.is_navigation_request()
            and r.request.frame == page.main_frame) as answer:
        form.locator("button[type=submit]").first.click()
    return answer.value.status


def _check(page: Page, status: int) -> str:
    assert status < 500, status
    text = page.locator("main").inner_text()
    assert not RAW.search(text), text[:500]
    return text


def _walk(page: Page, demo: Demo, forms: list[Form], ids: dict[str, str] | None = None,
          role: str = "") -> None:
    for f in forms:
        if f.role and f.role != role:
            continue
        # Only what is required; every optional field empty.
        status = _send(page, demo, f, f.required, ids)
        _check(page, status)
        assert status in (200, 303, 409), (f.path, f.form, status)  # 409: already done
        if status != 409:  # 409: done before (by the other role), said in Dutch
            assert page.locator("[role=alert]").count() == 0, page.locator("main").inner_text()
        if f.long:
            status = _send(page, demo, f, {**f.required, f.long: LONG}, ids)
            text = _check(page, status)
            assert status == 422, (f.path, f.long, status)
            assert re.search(r"[Tt]e lang", page.locator("[role=alert]").inner_text()), text[:300]
        if f.place:
            status = _send(page, demo, f, {**f.required, f.place: TYPO}, ids)
            text = _check(page, status)
            assert TYPO in text or "Enschede" in text, (f.path, text[:300])


@pytest.fixture(scope="module")
def ids(demo: Demo) -> dict[str, str]:
    """Ids of things the demo does not make, as the a11y test gets them: an activity made on
    the staff form, and alike signals sent to the API so the clustering finds groups."""
    import httpx

    api = {"Authorization": f"Bearer {demo.staff_key}"}
    made: list[str] = []
    with httpx.Client(base_url=demo.base, timeout=120) as client:
        texts = ("Ouders vinden geen logopedist voor hun kind in {} en wachten een jaar.",
                 "In {} stoppen leerkrachten omdat de werkdruk in het speciaal onderwijs te"
                 " hoog is.")
        for text in texts:
            for place in ("Enschede", "Hengelo", "Almelo", "Oldenzaal"):
                for _ in range(40):  # 503 while the fresh demo's matcher warms up
                    signal = client.post("/api/v1/signals", headers=api,
                                         json={"text": text.format(place)})
                    if signal.status_code != 503:
                        break
                    time.sleep(3)
                assert signal.status_code == 201, signal.text
                made.append(signal.json()["id"])
        client.cookies.set("schakel_sleutel", demo.staff_key)
        client.get("/agenda-nieuw")
        activity = client.post("/agenda-nieuw", follow_redirects=False, data={
            "csrf_token": client.cookies.get("schakel_csrf"), "titel": "Leertafel thuiszitters",
            "soort": "webinar", "datum": "2027-03-11", "begin": "15:00", "eind": "16:30",
            "online": "true", "thema": ["thuiszitters"], "plaatsen": "40"})
        assert activity.status_code == 303, activity.text[-800:]
    return {"a": activity.headers["location"].rsplit("/", 1)[1],
            "s-staff": made[0], "s-admin": made[4]}


def _first_cluster(demo: Demo) -> str:
    import httpx

    found = httpx.get(f"{demo.base}/api/v1/signals/clusters", timeout=120,
                      headers={"Authorization": f"Bearer {demo.staff_key}"})
    assert found.status_code == 200 and found.json()["data"], found.text
    return str(found.json()["data"][0]["id"])


def _apply(demo: Demo) -> None:
    import httpx

    with httpx.Client(base_url=demo.base, timeout=120) as client:
        client.get("/lid-worden")
        sent = client.post("/lid-worden", follow_redirects=False, data={
            "csrf_token": client.cookies.get("schakel_csrf"), "naam": "Joris Bakker",
            "akkoord": "true"})
        assert sent.status_code in (200, 303), sent.text[-800:]


@pytest.mark.slow
def test_anonymous_forms(demo: Demo, browser: Browser) -> None:
    """Logged out; runs first, so staff find these applications in their queue."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(120_000)
    _walk(page, demo, ANONYMOUS_FORMS)
    _walk(page, demo, ANONYMOUS_FORMS[:1])  # a second application, for the second role
    context.close()


@pytest.mark.slow
def test_member_forms(demo: Demo, browser: Browser, ids: dict[str, str]) -> None:
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, demo, demo.member_key)
    _walk(page, demo, MEMBER_FORMS, ids)
    context.close()


@pytest.mark.slow
@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_forms(demo: Demo, browser: Browser, ids: dict[str, str], role: str) -> None:
    key = demo.staff_key
    if role == "admin":
        exe = Path(sys.executable).with_name("schakel")
        made = subprocess.run([str(exe), "users", "add", "formulieren-beheer", "--role", "admin",
                               "--replace"], env=demo.env, capture_output=True, text=True,
                              timeout=60)
        assert made.returncode == 0, made.stdout + made.stderr
        key = made.stdout.strip().splitlines()[-1]
    _apply(demo)  # an application of its own in the queue
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, demo, key)
    mine = {**ids, "s": ids[f"s-{role}"], "k": _first_cluster(demo)}
    _walk(page, demo, STAFF_FORMS, mine, role)
    context.close()


@pytest.mark.slow
def test_login_form(demo: Demo, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    for key in ("", LONG, "sk-verzonnen"):
        status = _send(page, demo, Form("/inloggen", "form.search"), {"#sleutel": key})
        _check(page, status)
        assert page.locator("h1").inner_text() == "Inloggen"
        assert "sleutel" in page.locator("[role=alert]").inner_text().lower()
    context.close()
