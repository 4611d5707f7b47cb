"""The parts the pages are built from: the menu, the theme picker's groups, Dutch numbers and
the SVG charts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from pageclient import PageClient

from schakel.graph.local import LocalGraphStore
from schakel.service.app import create_app
from schakel.service.application.directory import assignable_themes, theme_groups
from schakel.service.auth import declared_routes
from schakel.service.config import Settings
from schakel.service.web.charts import bars
from schakel.service.web.formatting import getal, km, procent
from schakel.service.web.menu import MENU

if TYPE_CHECKING:
    from conftest import Keys


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path,
           keys: Keys) -> Iterator[TestClient]:  # noqa: ARG001 - accounts first
    with PageClient(create_app(Settings(data_dir=tmp_path), store=seeded_store)) as c:
        yield c


def test_menu_roles_are_the_pages_roles(client: TestClient) -> None:
    """Each menu item names the role its page demands, so the menu never offers a page
    that answers "Geen toegang"."""
    role_of = {path: role for method, path, role in declared_routes(client.app)
               if method == "GET"}
    for item in MENU:
        assert role_of[item.href] == item.role, item


def _menu(client: TestClient, key: str | None) -> list[str]:
    if key:
        client.cookies.set("schakel_sleutel", key)
    page = client.get("/inloggen").text
    nav = page.split('aria-label="Hoofdmenu"')[1].split("</nav>")[0]
    return re.findall(r'class="utrecht-nav-list__link" href="([^"]+)"', nav)


def test_menu_per_role(client: TestClient, keys: Keys, seeded_store: LocalGraphStore) -> None:
    assert _menu(client, None) == ["/lid-worden", "/inloggen"]
    member = _menu(client, keys.member)
    assert "/makelen" not in member and "/kaart" not in member and "/mijn-profiel" in member
    name = seeded_store.get(keys.member_id).name  # type: ignore[union-attr]
    assert f'<strong class="who">{name}</strong>' in client.get("/inloggen").text
    for path in member:
        assert client.get(path).status_code == 200, path
    staff = _menu(client, keys.staff)
    assert {"/makelen", "/kaart", "/matchen"} <= set(staff)
    assert "/mijn-profiel" not in staff  # staff accounts have no profile of their own
    for path in staff:
        assert client.get(path).status_code == 200, path


def test_theme_groups_hold_every_theme_once(client: TestClient) -> None:
    ctx = client.app.state.schakel
    groups = theme_groups(ctx)
    shown = [t.id for _, themes in groups for t in themes]
    assert sorted(shown) == sorted(t.id for t in assignable_themes(ctx))
    assert len(shown) == len(set(shown))
    assert len(groups) > 3 and all(themes for _, themes in groups)


def test_profile_keeps_other_themes_when_one_is_added(client: TestClient, keys: Keys) -> None:
    client.cookies.set("schakel_sleutel", keys.member)
    page = client.get("/mijn-profiel").text
    mine = re.findall(r'name="thema" value="([^"]+)" checked', page)
    assert mine and 'type="checkbox" name="thema"' in page and "<select" not in page.split(
        'id="themas"')[1].split("<details>")[0]
    form = {"thema": [*mine, "thuiszitters"], "zichtbaarheid": "members", "matchen": "true"}
    assert client.post("/mijn-profiel", data=form, follow_redirects=False).status_code == 303
    now = re.findall(r'name="thema" value="([^"]+)" checked', client.get("/mijn-profiel").text)
    assert set(now) == {*mine, "thuiszitters"}


def test_dutch_numbers() -> None:
    assert getal(1234567.891, 2) == "1.234.567,89"
    assert getal(0.1566, 2) == "0,16" and getal(None) == "–"
    assert km(50.1) == "50 km" and km(0.4) == "< 1 km"
    assert procent(0.4267) == "43%" and procent(None) == "–"


def test_chart_is_an_accessible_svg_with_dutch_numbers() -> None:
    svg = str(bars([("Thuiszitters", 12), ("Autisme & <ADHD>", 3.5)], "Leden per thema",
                   decimals=1))
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg
    assert svg.count('class="bar"') == 2
    assert "12,0" in svg and "3,5" in svg and "&lt;ADHD&gt;" in svg  # escaped
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height', svg)]
    assert widths[0] > widths[1] > 0
    full = str(bars([("Experts", 0.5)], "Gini", maximum=1, decimals=2))
    half = float(re.findall(r'width="([\d.]+)" height', full)[0])
    longest = float(re.findall(r'width="([\d.]+)" height', str(bars([("a", 1)], "t")))[0])
    assert half == pytest.approx(longest / 2, abs=1)
