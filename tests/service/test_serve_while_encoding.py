"""A service over a network whose texts are not encoded yet: /ready is 200 and says how far
the meaning is, a match answers (never 503) with the Dutch reason that meaning does not count
yet, and `schakel info` shows the progress the server noted."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from gated import GatedEncoder, until
from typer.testing import CliRunner

from schakel.graph.local import LocalGraphStore
from schakel.matching.engine import WAITING_NL
from schakel.service import state as service_state
from schakel.service.app import create_app
from schakel.service.cli import app as cli
from schakel.service.config import Settings


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> GatedEncoder:
    encoder = GatedEncoder()
    monkeypatch.setattr(service_state, "_encoder", lambda *_: encoder)
    return encoder


def test_the_service_answers_while_it_encodes_and_says_how_far_it_is(
        seeded_store: LocalGraphStore, tmp_path: Path, keys: object,  # noqa: ARG001
        gated: GatedEncoder, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=tmp_path, encode_background_from=0)
    app = create_app(settings, store=seeded_store)
    staff = {"Authorization": f"Bearer {keys.staff}"}  # type: ignore[attr-defined]
    try:
        with TestClient(app) as c:
            c.app.state.schakel.warm_up()  # type: ignore[attr-defined]
            r = c.get("/api/v1/ready")
            assert r.status_code == 200 and r.json()["status"] == "klaar"
            meaning = r.json()["meaning"]
            assert meaning["done"] == 0 < meaning["total"]
            assert meaning["text"] == f"betekenis: 0 van {meaning['total']} teksten"

            r = c.post("/api/v1/match", headers=staff,
                       json={"text": "Wie weet iets van thuiszitters?", "kinds": ["member"]})
            assert r.status_code == 200, r.text
            results = r.json()["results"]
            assert results and all(
                WAITING_NL in [x["text"] for x in s["reasons"]] for s in results)

            monkeypatch.setenv("SCHAKEL_DATA_DIR", str(tmp_path))
            shown = CliRunner().invoke(cli, ["info"])
            assert shown.exit_code == 0, shown.output
            assert f"betekenis: 0 van {meaning['total']} teksten (bezig" in shown.output

            gated.allow(10_000)
            matcher = c.app.state.schakel.matcher()  # type: ignore[attr-defined]
            until(lambda: not matcher.backfill.running, "the backlog encoded")
            done = c.get("/api/v1/ready").json()["meaning"]
            assert done["done"] == done["total"] == meaning["total"]
            r = c.post("/api/v1/match", headers=staff,
                       json={"text": "Wie weet iets van thuiszitters?", "kinds": ["member"]})
            assert not any(WAITING_NL in [x["text"] for x in s["reasons"]]
                           for s in r.json()["results"])
    finally:
        gated.allow(10_000)
