"""The application layer (service/application/): use cases without FastAPI, called alike by
routes, pages and the CLI."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from schakel.errors import Forbidden, GraphValidationError, UnknownReferenceError
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member
from schakel.service.access import Principal
from schakel.service.application import members
from schakel.service.application.lifecycle import opened
from schakel.service.application.matching import run_match
from schakel.service.config import Settings
from schakel.service.context import AppState

SERVICE = Path(__file__).resolve().parents[2] / "service"
MEMBER = "m-000002"


def _imports(path: Path) -> set[str]:
    """Modules a file imports, relative ones with their dots (``..routes.match``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found |= {base} | {base.rstrip(".") + "." + a.name if node.module else base + a.name
                               for a in node.names}
    return found


def test_use_cases_do_not_import_fastapi() -> None:
    for path in sorted((SERVICE / "application").glob("*.py")):
        web = {m for m in _imports(path) if m.split(".")[0] in ("fastapi", "starlette")}
        assert not web, f"{path.name} imports {web}"


def test_pages_and_cli_never_import_route_modules() -> None:
    # web/maps.py moves to application/network.py with the network use cases (issue 13).
    pending = {"maps.py"}
    paths = [*(SERVICE / "web").glob("*.py"), *SERVICE.glob("cli*.py")]
    for path in sorted(p for p in paths if p.name not in pending):
        routes = {m for m in _imports(path) if m.lstrip(".").startswith("routes")}
        assert not routes, f"{path.name} imports {routes}"


@pytest.fixture
def ctx(seeded_store: LocalGraphStore, tmp_path: Path) -> Iterator[AppState]:
    with opened(Settings(data_dir=tmp_path), seeded_store) as context:
        yield context


def test_a_profile_edit_writes_the_member_and_reports_the_change(ctx: AppState) -> None:
    who = Principal("lid", "member", MEMBER)
    before = ctx.store.require(MEMBER)
    written = members.write_member(ctx, {"id": MEMBER, "availability": "op dinsdag"})
    assert isinstance(written.member, Member) and written.member.availability == "op dinsdag"
    assert written.member.name == before.name  # left out: kept
    assert written.changes.nodes.get("Member") == {MEMBER}
    member = members.update_profile(ctx, who, {"function": None, "gemeente": "Emmen"})
    assert member.function is None
    assert ctx.store.neighbour_ids(MEMBER, "BASED_IN") == ["gm-emmen"]
    assert ctx.access.audit_rows(subject=MEMBER)[0]["action"] == "eigen profiel gewijzigd"


def test_a_bad_profile_edit_names_the_field_and_writes_nothing(ctx: AppState) -> None:
    who = Principal("lid", "member", MEMBER)
    version = ctx.store.version
    with pytest.raises(GraphValidationError) as caught:
        members.update_profile(ctx, who, {"gemeente": "Atlantis", "availability": "nooit"})
    assert caught.value.problems[0]["field"] == "gemeente"
    assert "Atlantis" in caught.value.problems[0]["message"]
    assert ctx.store.version == version


def test_only_an_admin_erases_someone_else(ctx: AppState) -> None:
    with pytest.raises(Forbidden):
        members.erase_member(ctx, Principal("lid", "member", "m-000003"), MEMBER)
    assert ctx.store.get(MEMBER) is not None


def test_an_unknown_asker_domain_is_refused_before_matching(ctx: AppState) -> None:
    with pytest.raises(UnknownReferenceError) as caught:
        run_match(ctx, "thuiszitters", asker_domain="ruimtevaart")
    assert caught.value.field == "asker_domain"
