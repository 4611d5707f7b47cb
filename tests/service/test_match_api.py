"""POST /api/v1/match, the /matchen page and the match/eval/bench commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member
from schakel.service.app import create_app
from schakel.service.cli import app as cli
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys, embedding_file: Path,
           matcher: Any) -> Iterator[TestClient]:
    # `matcher` has filled the session's embedding cache; sharing it keeps tests fast.
    assert matcher.catalog is not None
    app = create_app(Settings(data_dir=tmp_path, embeddings=embedding_file), store=seeded_store)
    with TestClient(app, headers=keys.bearer(keys.staff)) as c:
        yield c


def test_match_answers_with_explained_results(client: TestClient,
                                              seeded_store: LocalGraphStore) -> None:
    r = client.post("/api/v1/match", json={
        "text": "Wie heeft ervaring met jeugdhulp in de klas, liefst in de buurt van Emmen?",
        "limit": 8})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["took_ms"] > 0 and len(body["results"]) == 8
    assert body["understood"]["place"]["name"] == "Emmen"
    kinds = {x["kind"] for x in body["results"]}
    assert kinds <= {"member", "expert", "ambassador", "region", "practice", "community"}
    for x in body["results"]:
        assert x["score"] == pytest.approx(sum(c["contribution"] for c in x["reasons"]), abs=1e-6)
        if x["kind"] in ("member", "expert", "ambassador"):
            node = seeded_store.require(x["id"])
            assert isinstance(node, Member) and node.consent_matching
            assert node.visibility == "members"


def test_match_filters(client: TestClient) -> None:
    r = client.post("/api/v1/match", json={"text": "thuiszitters", "near": "Drenthe",
                                           "radius_km": 30, "kinds": ["member"], "limit": 50})
    assert r.status_code == 200
    for x in r.json()["results"]:
        assert any(c["signal"] == "geo" for c in x["reasons"])


def test_a_write_is_seen_by_the_next_question(client: TestClient,
                                              seeded_store: LocalGraphStore) -> None:
    client.post("/api/v1/match", json={"text": "autisme"})
    seeded_store.upsert_nodes([Member(
        id="m-new", name="Nieuw Lid", function="logopedist",
        profile="Ik werk met kinderen die stotteren en met hun ouders, in Urk en omgeving.")])
    r = client.post("/api/v1/match", json={"text": "Wie weet veel van stotteren?",
                                           "kinds": ["member"], "limit": 3})
    assert r.json()["results"][0]["id"] == "m-new"
    seeded_store.upsert_nodes([Member(id="m-new", name="Nieuw Lid", visibility="none",
                                      profile="Ik werk met kinderen die stotteren.")])
    r = client.post("/api/v1/match", json={"text": "Wie weet veel van stotteren?",
                                           "kinds": ["member"], "limit": 50})
    assert "m-new" not in [x["id"] for x in r.json()["results"]]


@pytest.mark.parametrize("body", [
    {}, {"text": ""}, {"text": "ab"}, {"text": "autisme", "near": "Atlantis"},
    {"text": "autisme", "radius_km": 10}, {"text": "autisme", "radius_km": -1},
    {"text": "autisme", "kinds": ["robot"]}, {"text": "autisme", "kinds": []},
    {"text": "autisme", "limit": 0}, {"text": "autisme", "limit": 51},
    {"text": "autisme", "asker_domain": "ruimtevaart"}, {"text": "autisme", "extra": 1},
    {"text": 5}, {"text": "x" * 2001},
])
def test_bad_questions_get_422(client: TestClient, body: dict[str, object]) -> None:
    r = client.post("/api/v1/match", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["msg"]


def test_match_page(client: TestClient) -> None:
    empty = client.get("/matchen")
    assert empty.status_code == 200 and "<textarea" in empty.text
    page = client.get("/matchen", params={"vraag": "Onze leerling zit al maanden thuis",
                                          "plaats": "Zwolle", "soort": ["member", "practice"]})
    assert page.status_code == 200
    assert "Zo lezen we de vraag" in page.text and 'class="result"' in page.text
    assert "Zwolle" in page.text and "thema" in page.text
    bad = client.get("/matchen", params={"vraag": "autisme", "plaats": "Atlantis"})
    assert bad.status_code == 422 and "We kennen de plaats ‘Atlantis’ niet" in bad.text
    assert "<textarea" in bad.text  # the form stays, with what was typed


def test_match_page_takes_the_form_as_a_browser_sends_it(client: TestClient) -> None:
    """Empty optional fields arrive as empty strings; wrong numbers get a Dutch message."""
    sent = {"vraag": "Wie weet veel van thuiszitters?", "plaats": "", "straal": "",
            "aantal": "10"}
    ok = client.get("/matchen", params=sent)
    assert ok.status_code == 200 and 'class="result"' in ok.text
    for straal, plaats, message in (
            ("abc", "Zwolle", "Vul bij straal een getal in van 1 tot en met 400 km."),
            ("900", "Zwolle", "Vul bij straal een getal in van 1 tot en met 400 km."),
            ("30", "", "Een straal werkt alleen samen met een plaats.")):
        r = client.get("/matchen", params={**sent, "straal": straal, "plaats": plaats})
        assert r.status_code == 422 and message in r.text, r.text[:300]
        assert "Input should" not in r.text and "radius_km" not in r.text
    near = client.get("/matchen", params={**sent, "straal": "25,5", "plaats": "Zwolle"})
    assert near.status_code == 200 and 'value="25,5"' in near.text


@pytest.mark.usefixtures("matcher")
def test_match_command(tmp_path: Path, embedding_file: Path) -> None:
    runner = CliRunner()
    env = {"SCHAKEL_DATA_DIR": str(tmp_path), "SCHAKEL_EMBEDDINGS": str(embedding_file)}
    assert runner.invoke(cli, ["seed", "-n", "40"], env=env).exit_code == 0
    result = runner.invoke(cli, ["match", "Wie weet iets van thuiszitters?", "--near", "Emmen",
                                 "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert '"results"' in result.output and '"reasons"' in result.output
    bad = runner.invoke(cli, ["match", "autisme", "--near", "Atlantis"], env=env)
    assert bad.exit_code == 2 and "onbekend gebied" in bad.output


@pytest.mark.usefixtures("matcher")
def test_eval_command_prints_the_table(tmp_path: Path, embedding_file: Path) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "- id: t1\n  text: Wie weet veel van thuiszitters?\n  kinds: [member]\n"
        "  relevant:\n    themes: [thuiszitters]\n"
        "- id: t2\n  text: Welk voorbeeld gaat over onderwijs- en gezinscoaches?\n"
        "  kinds: [practice]\n  relevant:\n    items: {pr-lerende-praktijk-emmen: 2}\n",
        encoding="utf-8")
    env = {"SCHAKEL_DATA_DIR": str(tmp_path), "SCHAKEL_EMBEDDINGS": str(embedding_file)}
    result = CliRunner().invoke(cli, ["eval", "-n", "60", "--questions", str(questions),
                                      "--varianten"],
                                env=env)
    assert result.exit_code == 0, result.output
    for row in ("hybride", "alleen BM25", "alleen dense", "zonder geo", "zonder graaf"):
        assert row in result.output
    assert "nDCG@10" in result.output


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=0, max_size=300), near=st.one_of(st.none(), st.text(max_size=40)),
       radius=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
       limit=st.integers(-5, 80))
def test_any_input_gives_an_answer_or_422(client: TestClient, text: str, near: str | None,
                                          radius: float | None, limit: int) -> None:
    body: dict[str, object] = {"text": text, "near": near, "limit": limit}
    if radius is not None and radius == radius and abs(radius) != float("inf"):
        body["radius_km"] = radius
    r = client.post("/api/v1/match", json=body)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert len(r.json()["results"]) <= limit


def test_bench_command_measures_in_process_and_over_http(tmp_path: Path,
                                                          embedding_file: Path) -> None:
    env = {"SCHAKEL_DATA_DIR": str(tmp_path), "COLUMNS": "160"}
    result = CliRunner().invoke(cli, ["bench", "--sizes", "120", "--queries", "20",
                                      "--cache", str(embedding_file)], env=env)
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line.split("│")[2].strip()
             for line in result.output.splitlines() if line.count("│") >= 3}
    assert lines["opnieuw gecodeerd"] == "0"  # unchanged profiles: no encoder calls
    assert float(lines["HTTP p95 (ms)"].replace(",", "")) > 0
    assert float(lines["dense / numpy"]) > 0
    assert 50 < float(lines["geheugen (RSS) van de server (MB)"]) < 20_000
    # the network metrics, both backends side by side (networkx runs up to 10k)
    assert float(lines["alle maten, networkx"]) > 0 and float(lines["alle maten, igraph"]) >= 0
    assert float(lines["start -> eerste gefilterde kaart (graaf lezen)"]) > 0
    # a second start reads the projection the first one kept on disk
    assert float(lines["start -> eerste gefilterde kaart (projectie van schijf)"]) > 0
    assert float(lines["projectiebestand (MB)"]) > 0
