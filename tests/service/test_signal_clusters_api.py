"""Clusters, verdiepen and the agenda brief through the API and the pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from schakel.graph.local import LocalGraphStore
from schakel.matching.signals import SignalDesk
from schakel.matching.signals.generate import generate
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

NOW = datetime.now(UTC)


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys, embedding_file: Path,
           matcher: Any) -> Iterator[TestClient]:
    assert matcher.catalog is not None
    desk = SignalDesk(seeded_store, clock=lambda: NOW)
    picked = [g for g in generate(160, today=NOW.date()) if g.group in ("potjes", "privacy")]
    for g in picked:
        desk.submit(g.text, "regiebureau", themes=sorted(g.themes), signal_id=g.id,
                    created=g.day.isoformat() + "T09:00:00+00:00", place="gm-emmen",
                    domains=["onderwijs", "jeugdhulp"])
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with TestClient(app, headers=keys.bearer(keys.staff), follow_redirects=False) as c:
        c.groups = {g.id: g.group for g in picked}  # type: ignore[attr-defined]
        yield c


def test_clusters_merge_split_and_the_brief(client: TestClient) -> None:
    groups: dict[str, str] = client.groups  # type: ignore[attr-defined]
    found = client.get("/api/v1/signals/clusters").json()
    assert len(found["data"]) >= 2, found
    for c in found["data"][:2]:  # each of the two largest is one true group
        assert len({groups[s] for s in c["signals"]}) == 1
        assert c["label"] and c["regions"] == {"Drenthe": len(c["signals"])}
    a, b = found["data"][0]["id"], found["data"][1]["id"]
    merged = client.post("/api/v1/signals/clusters/merge", json={"clusters": [a, b]})
    assert merged.status_code == 200, merged.text
    key = merged.json()["id"]
    assert key.startswith("hand-") and merged.json()["by_hand"]
    n = len(merged.json()["signals"])
    apart = merged.json()["signals"][:2]
    split = client.post(f"/api/v1/signals/clusters/{key}/split", json={"signals": apart})
    assert split.status_code == 200, split.text
    again = {c["id"]: c for c in client.get("/api/v1/signals/clusters").json()["data"]}
    assert len(again[key]["signals"]) == n - 2
    assert sorted(again[split.json()["apart"]]["signals"]) == sorted(apart)
    bad = client.post(f"/api/v1/signals/clusters/{key}/split", json={"signals": ["nope"]})
    assert bad.status_code == 422 and "kies een deel" in bad.text

    md = client.get(f"/api/v1/signals/clusters/{key}/brief")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    for part in ("# Agendabrief:", "**Vraag.**", "## De signalen", "| Drenthe |",
                 "## Wie en wat kan helpen", "Tafel: Onderwijs, Zorg, Kinderopvangtafel"):
        assert part in md.text, md.text
    page = client.get(f"/signalen/clusters/{key}/brief")
    assert page.status_code == 200 and "<svg" in page.text and "Agendabrief" in page.text
    assert client.get("/signalen/clusters").status_code == 200
    assert client.get(f"/signalen/clusters/{key}").status_code == 200


def test_verdiepen_proposes_people_and_invites_through_brokering(client: TestClient) -> None:
    sid = sorted(client.groups)[0]  # type: ignore[attr-defined]
    for action in ("oogsten", "toetsen"):
        client.post(f"/api/v1/signals/{sid}/steps", json={"action": action})
    proposals = client.get(f"/api/v1/signals/{sid}/suggestions").json()
    people = [p for p in proposals if p["kind"] != "practice" and p["id"].startswith("m-")]
    assert people and all(p["reasons"] for p in proposals)
    r = client.post(f"/api/v1/signals/{sid}/invitations", json={"candidate": people[0]["id"]})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "proposed"  # staff approve it on the brokering pages
    again = client.post(f"/api/v1/signals/{sid}/invitations",
                        json={"candidate": people[0]["id"]})
    assert again.status_code == 409  # already on the list
    page = client.get(f"/signalen/{sid}")
    assert page.status_code == 200 and "Verdiepen met het netwerk" in page.text
    assert people[0]["name"] in page.text
