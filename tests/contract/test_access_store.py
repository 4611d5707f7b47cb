"""The access port on both adapters: accounts, audit and secrets behave the same in
``access.sqlite`` and in the graph's Neo4j database (the Bolt test server), and several
clients of one store see one set of accounts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from schakel.graph.exchange import export_document
from schakel.graph.neo4j import Neo4jGraphStore
from schakel.service.access import AccessStore, AccountError, open_access
from schakel.service.config import Settings

from .conftest import BoltServer
from .test_store_contract import NODES, RELS

Opener = Callable[[], AccessStore]


@pytest.fixture(params=["local", "neo4j"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "local":
        return Settings(store="local", data_dir=tmp_path)
    server: BoltServer = request.getfixturevalue("bolt_server")
    server.wipe("contract")
    return Settings(store="neo4j", data_dir=tmp_path, neo4j_uri=server.uri,
                    neo4j_user=server.user, neo4j_password=server.password,
                    neo4j_database="contract")


@pytest.fixture
def opener(settings: Settings) -> Iterator[Opener]:
    """Each call is another client (another worker) of the same accounts."""
    opened: list[AccessStore] = []

    def open_one() -> AccessStore:
        opened.append(open_access(settings))
        return opened[-1]

    yield open_one
    for access in opened:
        access.close()


def test_keys_are_checked_and_replaced(opener: Opener) -> None:
    access = opener()
    key = access.add_user("anna", "staff")
    assert key.startswith("sk-") and len(key) > 40
    assert access.authenticate(key) is not None and access.authenticate(key + "x") is None
    other = opener()
    with pytest.raises(AccountError, match="bestaat al"):
        other.add_user("anna", "staff")
    with pytest.raises(AccountError, match="onbekende rol"):
        other.add_user("bob", "baas")
    with pytest.raises(AccountError, match="lid-id"):
        other.add_user("bob", "member")
    new = other.add_user("anna", "admin", replace=True)
    assert access.authenticate(key) is None and access.authenticate(new).role == "admin"


def test_accounts_are_shared_listed_and_removed(opener: Opener) -> None:
    one, two = opener(), opener()
    member_key = one.add_user("lid", "member", "m-000001")
    one.add_user("bureau", "staff")
    who = two.authenticate(member_key)
    assert who is not None and (who.user, who.role, who.member_id) == ("lid", "member",
                                                                       "m-000001")
    assert [(u.user, u.role, u.member_id) for u in two.users()] == [
        ("bureau", "staff", None), ("lid", "member", "m-000001")]
    assert two.remove_member_accounts("m-000001") == 1
    assert one.authenticate(member_key) is None
    assert one.remove_user("bureau") and not two.remove_user("bureau")
    assert one.users() == []


def test_audit_rows_newest_first_by_subject(opener: Opener) -> None:
    one, two = opener(), opener()
    for n in range(3):
        (one if n % 2 else two).audit("anna", "profiel gelezen", "m-1", str(n))
    one.audit("anna", "lijst gelezen", "*", "3 leden")
    rows = two.audit_rows()
    assert [r["detail"] for r in rows] == ["3 leden", "2", "1", "0"]
    assert set(rows[0]) == {"at", "who", "action", "subject", "detail"}
    assert [r["detail"] for r in one.audit_rows("m-1", limit=2)] == ["2", "1"]


def test_a_secret_is_made_once_even_by_racing_workers(opener: Opener) -> None:
    got: list[bytes] = []
    clients = [opener() for _ in range(4)]
    threads = [threading.Thread(target=lambda c=c: got.append(c.secret("pseudoniem")))
               for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and len(set(got)) == 1 and len(got[0]) == 32
    assert opener().secret("pseudoniem", b"later-voorstel") == got[0]
    assert clients[0].secret("ander") != got[0]


def test_the_pseudonym_key_lives_in_the_access_store(settings: Settings) -> None:
    from schakel.service.networks import pseudonym_key

    first = pseudonym_key(settings)
    assert pseudonym_key(settings) == first and len(first) == 32
    assert not (settings.data_dir / "pseudoniem.key").exists()


def test_an_old_key_file_is_adopted(settings: Settings) -> None:
    from schakel.service.networks import pseudonym_key

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "pseudoniem.key").write_bytes(b"k" * 32)
    assert pseudonym_key(settings) == b"k" * 32  # earlier exports keep their pseudonyms


def test_access_nodes_stay_out_of_the_graph(bolt_server: BoltServer, tmp_path: Path) -> None:
    bolt_server.wipe("contract")
    graph = Neo4jGraphStore(bolt_server.uri, bolt_server.user, bolt_server.password,
                            "contract")
    try:
        graph.write(NODES, RELS)
        before = (graph.counts(), graph.count(), graph.count_relationships(),
                  sorted(graph.snapshot().nodes), export_document(graph))
        access = open_access(Settings(store="neo4j", data_dir=tmp_path), graph)  # its driver
        access.add_user("lid", "member", NODES[0].id)
        access.audit("lid", "profiel gelezen", NODES[0].id)
        access.secret("pseudoniem")
        graph.write(NODES[:1])  # a new version: reads go to the server again
        after = (graph.counts(), graph.count(), graph.count_relationships(),
                 sorted(graph.snapshot().nodes), export_document(graph))
        assert after == before
        assert graph.ids("Member") == sorted(n.id for n in NODES if n.label == "Member")
        access.close()
        assert graph.count() == before[1]  # the shared driver is still open
    finally:
        graph.close()


def test_accounts_from_before_move_into_neo4j_once(bolt_server: BoltServer,
                                                   tmp_path: Path) -> None:
    from schakel.service.access_sqlite import SqliteAccessStore

    bolt_server.wipe("contract")
    old = SqliteAccessStore(tmp_path / "access.sqlite")  # where they were kept with Neo4j too
    key = old.add_user("lid", "member", "m-1")
    old.audit("regie", "profiel gelezen", "m-1")
    old.close()
    settings = Settings(store="neo4j", data_dir=tmp_path, neo4j_uri=bolt_server.uri,
                        neo4j_user=bolt_server.user, neo4j_password=bolt_server.password,
                        neo4j_database="contract")
    graph = Neo4jGraphStore(bolt_server.uri, bolt_server.user, bolt_server.password,
                            "contract")
    with ThreadPoolExecutor(3) as pool:  # workers starting together, one as the server does
        clients = list(pool.map(lambda n: open_access(settings, graph if n == 0 else None),
                                range(3)))
    try:
        who = clients[0].authenticate(key)
        assert who is not None and (who.user, who.member_id) == ("lid", "m-1")
        clients[1].audit("regie", "profiel gewijzigd", "m-1")
        rows = clients[2].audit_rows("m-1")
        assert [r["action"] for r in rows] == ["profiel gewijzigd", "profiel gelezen"]
        assert [u.user for u in clients[2].users()] == ["lid"]
    finally:
        for c in clients:
            c.close()
        graph.close()
