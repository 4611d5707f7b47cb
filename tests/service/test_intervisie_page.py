"""Staff propose, adjust and confirm an intervisie group on the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pageclient import PageClient

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Organisation, Relationship
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

R = Relationship.of
DOMAINS = ["onderwijs", "zorg", "jeugdhulp", "kinderopvang", "gemeente-overheid", "onderwijs"]


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
           matcher: Any, keys: Keys) -> Iterator[TestClient]:  # noqa: ARG001
    nodes: list[Any] = []
    rels = []
    for i, domain in enumerate(DOMAINS):
        nodes += [Member(id=f"iv-{i}", name=f"Intervisor {i}", role_level="beleid"),
                  Organisation(id=f"org-iv-{i}", name=f"Organisatie {i}")]
        rels += [R("WORKS_ON", f"iv-{i}", "thuiszitters"), R("ACTIVE_IN", f"iv-{i}", domain),
                 R("WORKS_AT", f"iv-{i}", f"org-iv-{i}"), R("BASED_IN", f"iv-{i}", "gm-emmen")]
    seeded_store.write(nodes, rels)
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with PageClient(app) as c:
        c.cookies.set("schakel_sleutel", keys.staff)
        yield c


def test_propose_adjust_confirm(client: TestClient, seeded_store: LocalGraphStore) -> None:
    page = client.get("/intervisie", params={"thema": "thuiszitters"})
    assert page.status_code == 200 and "Groep 1 (6 leden, beleid)" in page.text
    too_small = client.post("/intervisie", data={"thema": "thuiszitters", "naam": "Klein",
                                                 "lid": ["iv-0", "iv-1", "iv-2"]})
    assert too_small.status_code == 422 and "5 tot 8 leden" in too_small.text
    made = client.post("/intervisie", data={"thema": "thuiszitters", "naam": "Emmen 1",
                                            "lid": [f"iv-{i}" for i in range(5)]},
                       follow_redirects=False)
    assert made.status_code == 303
    community = made.headers["location"].rsplit("/", 1)[1]
    assert sorted(seeded_store.neighbour_ids(community, "MEMBER_OF", "in")) == [
        f"iv-{i}" for i in range(5)]
    assert "Emmen 1" in client.get(made.headers["location"]).text
