"""What only the Neo4j adapter has: role labels, constraints, retries, driver errors."""

from __future__ import annotations

import doctest
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from neo4j import GraphDatabase
from neo4j.exceptions import ConstraintError, DatabaseError

from schakel.errors import StoreError
from schakel.graph import neo4j_queries
from schakel.graph.model import NODE_MODELS, Member
from schakel.graph.neo4j import Neo4jGraphStore
from schakel.service.access import open_access
from schakel.service.app import create_app
from schakel.service.config import Settings

from .conftest import BoltServer, free_port
from .test_store_contract import NODES, RELS


@pytest.fixture
def store(bolt_server: BoltServer) -> Iterator[Neo4jGraphStore]:
    bolt_server.wipe("contract")
    s = Neo4jGraphStore(bolt_server.uri, bolt_server.user, bolt_server.password, "contract")
    yield s
    s.close()


def cypher(server: BoltServer, query: str, **params: object) -> list[dict[str, object]]:
    with GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        records, _, _ = driver.execute_query(query, params, database_="contract")
        return [r.data() for r in records]


def ids_with(server: BoltServer, label: str) -> list[str]:
    rows = cypher(server, neo4j_queries.cypher("MATCH (n:`{label}`) RETURN n.id AS id",
                                               label=label))
    return sorted(str(r["id"]) for r in rows)


def test_identifiers_come_only_from_the_whitelist() -> None:
    result = doctest.testmod(neo4j_queries)
    assert result.attempted > 0 and result.failed == 0
    with pytest.raises(ValueError):
        neo4j_queries.cypher(neo4j_queries.RELS_MERGE, type="KNOWS]->(b) DETACH DELETE b //")


def test_roles_are_labels_too(store: Neo4jGraphStore, bolt_server: BoltServer) -> None:
    store.write(NODES, RELS)
    assert ids_with(bolt_server, "Expert") == ["m-1"]
    assert ids_with(bolt_server, "Ambassador") == ["m-1"]
    assert ids_with(bolt_server, "Verbinder") == ["m-3"]
    assert len(ids_with(bolt_server, "Node")) == len(NODES)
    steps = [["member", "verbinder"],  # loses two roles and gains one
             ["member", "verbinder", "expert"], ["member"], ["expert", "ambassador"]]
    for roles in steps:
        store.upsert_nodes([Member(id="m-1", name="Anna de Vries", roles=roles)])
        for label in neo4j_queries.ROLE_LABELS:
            has = "m-1" in ids_with(bolt_server, label)
            assert has == (label.lower() in roles), (roles, label)
        assert store.require("m-1").roles == roles
        assert store.neighbour_ids("m-1", "WORKS_ON") == ["thuiszitters"]


@pytest.mark.usefixtures("store")  # opening the store creates the constraints
@pytest.mark.parametrize("label", sorted(NODE_MODELS))
def test_every_label_has_a_uniqueness_constraint(bolt_server: BoltServer, label: str) -> None:
    query = neo4j_queries.cypher("CREATE (n:`{label}`) SET n.id = $id", label=label)
    cypher(bolt_server, query, id="dubbel")
    with pytest.raises((ConstraintError, DatabaseError)):
        cypher(bolt_server, query, id="dubbel")


def test_a_uniqueness_race_is_retried(store: Neo4jGraphStore,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    original = Neo4jGraphStore._write_nodes
    calls = []

    def once_a_race(tx, nodes):  # type: ignore[no-untyped-def]
        calls.append(1)
        result = original(tx, nodes)
        if len(calls) == 1:
            raise ConstraintError("another writer created this id just now")
        return result

    monkeypatch.setattr(Neo4jGraphStore, "_write_nodes", staticmethod(once_a_race))
    store.write(NODES, RELS)
    assert len(calls) == 2
    assert store.count() == len(NODES)


def test_a_database_error_mid_write_writes_nothing(store: Neo4jGraphStore,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    store.write(NODES, RELS)
    counts, version = store.counts(), store.version

    def half_then_fail(tx, nodes):  # type: ignore[no-untyped-def]
        tx.run("UNWIND $ids AS id CREATE (n:`Node`:`Member`) SET n.id = id",
               ids=[n.id for n in nodes]).consume()  # m-1 exists: the constraint refuses

    monkeypatch.setattr(Neo4jGraphStore, "_write_nodes", staticmethod(half_then_fail))
    with pytest.raises(StoreError):
        store.write([Member(id="m-4", name="Dirk"), Member(id="m-1", name="X")])
    monkeypatch.undo()
    assert store.get("m-4") is None and store.require("m-1") == NODES[8]
    assert store.counts() == counts and store.version == version


def test_unreachable_or_refused_gives_a_store_error(bolt_server: BoltServer) -> None:
    with pytest.raises(StoreError, match="niet bereikbaar"):
        Neo4jGraphStore(f"bolt://127.0.0.1:{free_port()}", "neo4j", "x", retry_time=0.5)
    with pytest.raises(StoreError, match="weigert|Neo4j"):
        Neo4jGraphStore(bolt_server.uri, bolt_server.user, "wrong-password", "contract",
                        retry_time=0.5)
    with pytest.raises(StoreError, match="ongeldig"):
        Neo4jGraphStore("http://example.org", "neo4j", "x")


class Proxy:
    """A TCP relay to the Bolt server that can be cut, as if Neo4j went down."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        for s in (self.listener, *self.sockets):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def test_neo4j_down_during_requests_gives_503_not_500(store: Neo4jGraphStore,
                                                      bolt_server: BoltServer,
                                                      tmp_path: Path) -> None:
    store.write(NODES, RELS)
    proxy = Proxy(int(bolt_server.uri.rsplit(":", 1)[1]))
    via = Neo4jGraphStore(f"bolt://127.0.0.1:{proxy.port}", bolt_server.user,
                          bolt_server.password, "contract", retry_time=0.5)
    try:
        access = open_access(Settings(store="neo4j", data_dir=tmp_path), store)
        key = access.add_user("beheer", "admin")
        access.close()
        app = create_app(Settings(store="neo4j", data_dir=tmp_path), store=via)
        with TestClient(app, raise_server_exceptions=False,
                        headers={"Authorization": f"Bearer {key}"}) as client:
            assert client.get("/api/v1/members").json()["count"] == 2  # an admin: m-1, m-2
            proxy.cut()
            time.sleep(via.sync_interval * 2)  # past the interval: the next read asks Neo4j
            api = client.get("/api/v1/members")
            assert api.status_code == 503
            assert "niet bereikbaar" in api.json()["detail"]
            assert "bolt://" not in api.text and "Neo4j" not in api.text  # that is for the log
            page = client.get("/leden")
            assert page.status_code == 503 and "niet bereikbaar" in page.text
    finally:
        via.close()
        proxy.cut()


def test_a_database_wiped_under_a_running_store(store: Neo4jGraphStore,
                                                bolt_server: BoltServer) -> None:
    store.sync_interval = 0
    store.write(NODES, RELS)
    version = store.version
    assert store.get("m-1") is not None
    bolt_server.wipe("contract")  # everything, the counter node too
    assert store.get("m-1") is None and store.count() == 0
    store.write(NODES[:2])
    assert store.version > version
    assert store.ids("Domain") == ["jeugdhulp", "onderwijs"]
