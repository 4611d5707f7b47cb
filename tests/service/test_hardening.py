"""Hardening: body limit before reading, security headers, no-store, CSRF on every page
form, rate limits, request ids in errors and logs, readiness, metrics, offline docs,
backup and restore."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from schakel.graph.local import LocalGraphStore
from schakel.service.app import create_app
from schakel.service.auth import COOKIE
from schakel.service.cli import app as cli
from schakel.service.config import Settings
from schakel.service.logs import JsonFormatter, RequestIdFilter

if TYPE_CHECKING:
    from conftest import Keys

TEMPLATES = Path(__file__).parents[2] / "service" / "web" / "templates"


def settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(data_dir=tmp_path, **extra)


@pytest.fixture
def client(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys,  # noqa: ARG001
           embedding_file: Path, matcher: Any) -> Iterator[TestClient]:
    assert matcher.catalog is not None  # fills the session's embedding cache
    app = create_app(settings(tmp_path, max_body_bytes=64 * 1024, embeddings=embedding_file),
                     store=seeded_store)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def dutch(body: dict[str, Any]) -> str:
    assert re.fullmatch(r"[0-9a-f]{8}", body["request_id"])
    return str(body["detail"])


# -- body size ------------------------------------------------------------------------------
def test_a_large_body_is_refused_before_reading_and_before_login(client: TestClient) -> None:
    r = client.post("/api/v1/members", content=b"x" * (65 * 1024),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413  # not 401: refused on its announced length
    assert "te groot" in dutch(r.json()) and "64 kB" in r.json()["detail"]
    assert r.json()["request_id"] == r.headers["X-Request-ID"]


def test_a_chunked_body_is_cut_off_at_the_limit(client: TestClient, keys: Keys) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    r = client.post("/api/v1/members", content=chunks(),
                    headers={**keys.bearer(keys.admin), "Content-Type": "application/json"})
    assert r.status_code == 413
    assert "te groot" in dutch(r.json())


def test_a_page_form_that_is_too_large_gets_the_dutch_page(client: TestClient) -> None:
    r = client.post("/inloggen", content=b"sleutel=" + b"x" * (70 * 1024),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "<html" in r.text and "te groot" in r.text


# -- headers --------------------------------------------------------------------------------
def test_pages_carry_security_headers_and_personal_answers_are_not_stored(
        client: TestClient, keys: Keys) -> None:
    client.cookies.set(COOKIE, keys.member)
    for path in ("/mijn-profiel", "/leden", "/api/v1/me/export"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["Cache-Control"] == "no-store", path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
    client.cookies.set(COOKIE, keys.admin)
    r = client.get("/api/v1/export?format=json")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    static = client.get("/static/schakel.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


# -- CSRF -----------------------------------------------------------------------------------
class Forms(HTMLParser):
    """Every form with method post, and the hidden fields inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._open = {"action": a.get("action"), "fields": {}}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and a.get("name"):
            self._open["fields"][a["name"]] = a.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def test_every_post_form_in_every_template_writes_the_token() -> None:
    # Static: catches a form in a template no test renders (other engineers add forms).
    missing = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<form\b[^>]*>", text):
            if not re.search(r"method=[\"']?post", match.group(0), re.I):
                continue
            body = text[match.end(): text.find("</form>", match.end())]
            if "csrf_field()" not in body:
                missing.append(f"{template.name}: {match.group(0)}")
    assert missing == []


def test_every_page_form_carries_the_visitors_token(client: TestClient, keys: Keys,
                                                    seeded_store: LocalGraphStore) -> None:
    from schakel.service.auth import declared_routes

    question = client.post("/api/v1/questions", headers=keys.bearer(keys.staff),
                           json={"text": "Wie weet iets van thuiszitters in Emmen?",
                                 "asker": keys.member_id})
    assert question.status_code == 201, question.text
    samples = {"question_id": question.json()["id"], "member_id": keys.member_id,
               "practice_id": seeded_store.ids("Practice")[0]}
    seen = 0
    for key in (keys.member, keys.staff):
        client.cookies.clear()
        client.cookies.set(COOKIE, key)
        pages = [p for m, p, _ in declared_routes(client.app)
                 if m == "GET" and not p.startswith("/api/") and p != "/favicon.ico"]
        for path in pages:
            url = re.sub(r"\{(\w+)\}", lambda m: samples.get(m.group(1), "x"), path)
            r = client.get(url)
            if r.status_code != 200 or "text/html" not in r.headers["content-type"]:
                continue
            token = client.cookies.get("schakel_csrf")
            parser = Forms()
            parser.feed(r.text)
            for form in parser.forms:
                assert form["fields"].get("csrf_token") == token, (url, form["action"])
                seen += 1
    assert seen >= 8  # the logout button on every page, profile, questions, brokering


def test_a_form_without_the_token_is_refused_and_changes_nothing(
        client: TestClient, keys: Keys, seeded_store: LocalGraphStore) -> None:
    client.cookies.set(COOKIE, keys.member)
    assert client.get("/mijn-profiel").status_code == 200  # sets the CSRF cookie
    token = client.cookies.get("schakel_csrf")
    for sent in ({}, {"csrf_token": "vals"}):
        r = client.post("/mijn-profiel/wissen", data=sent)
        assert r.status_code == 403 and "formulier is verlopen" in r.text
        assert seeded_store.get(keys.member_id) is not None  # not erased
    client.cookies.delete("schakel_csrf")  # another site's page: the browser sends no cookie
    r = client.post("/uitloggen", data={"csrf_token": token})
    assert r.status_code == 403
    client.cookies.set("schakel_csrf", token)
    assert client.post("/uitloggen", data={"csrf_token": token}).status_code == 303


# -- rate limits ----------------------------------------------------------------------------
def test_failed_logins_are_limited_per_address(seeded_store: LocalGraphStore, tmp_path: Path,
                                               keys: Keys, page_client: type[TestClient],
                                               ) -> None:
    app = create_app(settings(tmp_path, rate_login="3/minute"), store=seeded_store)
    with page_client(app, follow_redirects=False) as c:
        assert c.post("/inloggen", data={"sleutel": keys.member}).status_code == 303
        for _ in range(3):  # good logins do not count; failed ones do
            assert c.post("/inloggen", data={"sleutel": "sk-fout"}).status_code == 401
        r = c.post("/inloggen", data={"sleutel": keys.member})
        assert r.status_code == 429
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert "Te veel verzoeken" in r.text and "<html" in r.text


def test_writes_are_limited_per_key(seeded_store: LocalGraphStore, tmp_path: Path,
                                    keys: Keys, embedding_file: Path, matcher: Any) -> None:
    assert matcher.catalog is not None
    app = create_app(settings(tmp_path, rate_writes="2/minute", embeddings=embedding_file),
                     store=seeded_store)
    with TestClient(app) as c:
        ask = {"text": "Wie weet iets van thuiszitters in Emmen?", "asker": keys.member_id}
        staff = keys.bearer(keys.staff)
        assert [c.post("/api/v1/questions", json=ask, headers=staff).status_code
                for _ in range(2)] == [201, 201]
        r = c.post("/api/v1/questions", json=ask, headers=staff)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert dutch(r.json()).startswith("Te veel verzoeken")
        other = c.post("/api/v1/questions", json=ask, headers=keys.bearer(keys.admin))
        assert other.status_code == 201  # another key has its own budget
        assert c.get("/api/v1/questions", headers=staff).status_code == 200  # reads go on
        # POST /match only reads: it is not counted, nor refused, with the budget spent
        for _ in range(3):
            assert c.post("/api/v1/match", json={"text": ask["text"]},
                          headers=staff).status_code == 200


# -- request ids and logs -------------------------------------------------------------------
def test_request_id_is_echoed_and_every_log_line_carries_it(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="schakel.access"):
        r = client.get("/api/v1/members", headers={"X-Request-ID": "mijn-id-42"})
    assert r.status_code == 401 and r.headers["X-Request-ID"] == "mijn-id-42"
    assert r.json()["request_id"] == "mijn-id-42"
    record = next(rec for rec in caplog.records if rec.name == "schakel.access")
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter("%(message)s %(request_id)s").format(record))
    assert line["request_id"] == "mijn-id-42" and line["status"] == 401
    assert line["path"] == "/api/v1/members" and line["method"] == "GET"
    bad = client.get("/api/v1/health", headers={"X-Request-ID": "<script>"})
    assert re.fullmatch(r"[0-9a-f]{8}", bad.headers["X-Request-ID"])  # not echoed as given


# -- ready, metrics, docs -------------------------------------------------------------------
def test_ready_says_what_is_missing_until_the_read_models_are_built(
        client: TestClient) -> None:
    state = client.app.state.schakel  # type: ignore[attr-defined]
    r = client.get("/api/v1/ready")
    if r.status_code == 503:
        assert "nog niet klaar" in r.json()["detail"] and r.headers["Retry-After"]
    state.warm_up()
    r = client.get("/api/v1/ready")
    assert r.status_code == 200
    body = r.json()
    meaning = body.pop("meaning")
    assert body == {"status": "klaar", "store": True,
                    "read_models": {"names": True, "matcher": True}}
    assert meaning["done"] == meaning["total"] > 300  # every text encoded before publishing
    assert meaning["text"].startswith("betekenis: ") and meaning["text"].endswith(" teksten")


def test_metrics_count_requests_by_route_template(client: TestClient, keys: Keys) -> None:
    client.get(f"/api/v1/members/{keys.member_id}", headers=keys.bearer(keys.member))
    text = client.get("/metrics").text
    assert re.search(r'schakel_requests_total\{method="GET",route="/api/v1/members/\{member_id\}"'
                     r',status="200"\} 1\.0', text), text[-2000:]
    assert keys.member_id not in text  # ids never become labels
    assert "schakel_request_seconds_bucket" in text


def test_api_docs_and_favicon_work_offline(client: TestClient) -> None:
    for path in ("/api/v1/docs", "/api/v1/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assert "cdn." not in page.text and "googleapis" not in page.text
        assets = re.findall(r'(?:src|href)="(/api/v1/docs-static/[^"]+)"', page.text)
        assert assets
        for asset in assets:
            assert client.get(asset).status_code == 200, asset
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")


def test_openapi_documents_the_error_answers(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "ErrorBody" in spec["components"]["schemas"]
    operation = spec["paths"]["/api/v1/members"]["post"]
    for status in ("401", "403", "409", "413", "422", "429"):
        ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorBody")


# -- backup and restore ---------------------------------------------------------------------
def test_backup_then_restore_gives_back_the_same_data(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "data"

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, list(args), env={"SCHAKEL_DATA_DIR": str(data)})
        return result.exit_code, result.output

    assert run("seed", "-n", "25")[0] == 0
    assert run("users", "add", "beheer", "--role", "admin")[0] == 0
    before = tmp_path / "voor.json"
    assert run("export", str(before))[0] == 0
    code, out = run("backup", str(tmp_path / "backup"))
    assert code == 0, out
    with LocalGraphStore(data / "schakel.sqlite") as store:  # then something changes
        store.delete(store.ids("Member")[:5])
    code, out = run("restore", str(tmp_path / "backup"))
    assert code == 1 and "--force" in out  # a graph with members is not replaced unasked
    (data / "netwerkprojectie.bin").write_bytes(b"kaart van na de backup")
    code, out = run("restore", "--force", str(tmp_path / "backup"))
    assert code == 0, out
    assert not (data / "netwerkprojectie.bin").exists()  # it belonged to the replaced graph
    after = tmp_path / "na.json"
    assert run("export", str(after))[0] == 0
    assert json.loads(after.read_text()) == json.loads(before.read_text())
    code, out = run("users", "list")
    assert "beheer" in out
    (tmp_path / "leeg").mkdir()
    code, out = run("restore", str(tmp_path / "leeg"))
    assert code == 1 and "geen backup van Schakel" in out


# -- input maximums -------------------------------------------------------------------------
def unbounded(spec: dict[str, Any]) -> list[str]:
    """Every string without maxLength (or a fixed set) and every list without maxItems in
    the parameters and bodies the OpenAPI documents."""
    schemas = spec["components"]["schemas"]
    found: list[str] = []

    def walk(s: dict[str, Any], where: str, seen: frozenset[str]) -> None:
        if "$ref" in s:
            name = s["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return
            seen, s, where = seen | {name}, schemas[name], f"{where}<{name}>"
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in s.get(key, []):
                walk(sub, where, seen)
        kind = s.get("type")
        if kind == "string" and not {"maxLength", "enum", "const"} & set(s):
            found.append(f"{where}: string")
        if kind == "array":
            if "maxItems" not in s:
                found.append(f"{where}: list")
            walk(s.get("items", {}), f"{where}[]", seen)
        for name, sub in s.get("properties", {}).items():
            walk(sub, f"{where}.{name}", seen)

    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for p in op.get("parameters", []):
                walk(p["schema"], f"{method.upper()} {path} {p['name']}", frozenset())
            for content in (op.get("requestBody") or {}).get("content", {}).values():
                walk(content["schema"], f"{method.upper()} {path} body", frozenset())
    return found


def test_every_input_string_and_list_has_a_maximum(client: TestClient, keys: Keys) -> None:
    assert unbounded(client.get("/api/v1/openapi.json").json()) == []
    many = {"id": "m-900001", "name": "Veel", "themes": ["thuiszitters"] * 51}
    r = client.post("/api/v1/members", json=many, headers=keys.bearer(keys.admin))
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == "Te veel: hoogstens 50."
