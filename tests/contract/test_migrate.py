"""`schakel migrate` between the embedded store and Neo4j, and the CLI on Neo4j."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
from typer.testing import CliRunner

from schakel.graph.local import LocalGraphStore
from schakel.graph.neo4j import Neo4jGraphStore
from schakel.service.cli import app

from .conftest import BoltServer, free_port

runner = CliRunner()


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def same(a: nx.MultiDiGraph, b: nx.MultiDiGraph) -> bool:
    return (nx.utils.nodes_equal(a.nodes(data=True), b.nodes(data=True))
            and nx.utils.edges_equal(a.edges(keys=True, data=True), b.edges(keys=True, data=True)))


def test_migrate_there_and_back(bolt_server: BoltServer, tmp_path: Path) -> None:
    bolt_server.wipe("scratch")
    env = {**bolt_server.env("scratch"), "SCHAKEL_DATA_DIR": str(tmp_path / "a"),
           "SCHAKEL_STORE": "local"}
    assert run(env, "seed", "-n", "40", "--seed", "3")[0] == 0
    code, out = run(env, "migrate", "--from", "local", "--to", "neo4j", "--batch-size", "700")
    assert code == 0, out
    assert "Gekopieerd naar bolt://" in out
    with (LocalGraphStore(tmp_path / "a" / "schakel.sqlite") as local,
          Neo4jGraphStore(bolt_server.uri, bolt_server.user, bolt_server.password,
                          "scratch") as neo4j):
        assert same(local.snapshot(), neo4j.snapshot())
        original = local.snapshot()

    code, out = run(env, "migrate", "--from", "local", "--to", "neo4j")
    assert code == 1 and "--merge" in out  # the target is not empty
    assert run(env, "migrate", "--from", "local", "--to", "neo4j", "--merge")[0] == 0

    back = {**env, "SCHAKEL_DATA_DIR": str(tmp_path / "b")}
    code, out = run(back, "migrate", "--from", "neo4j", "--to", "local")
    assert code == 0, out
    with LocalGraphStore(tmp_path / "b" / "schakel.sqlite") as copy:
        assert same(copy.snapshot(), original)

    code, out = run({**env, "SCHAKEL_STORE": "neo4j"}, "info")
    assert code == 0 and bolt_server.uri in out and "Member" in out


def test_unreachable_target_is_a_clear_message(tmp_path: Path) -> None:
    env = {"SCHAKEL_DATA_DIR": str(tmp_path), "SCHAKEL_NEO4J_URI":
           f"bolt://127.0.0.1:{free_port()}", "SCHAKEL_NEO4J_PASSWORD": "x"}
    code, out = run(env, "migrate", "--from", "local", "--to", "neo4j")
    assert code == 1
    assert "niet te openen" in out and "cannot be opened" in out and "niet bereikbaar" in out
    assert "Traceback" not in out
    code, out = run({**env, "SCHAKEL_STORE": "neo4j"}, "seed", "-n", "5")
    assert code == 1 and "niet bereikbaar" in out and "Traceback" not in out
    code, out = run({**env, "SCHAKEL_STORE": "neo4j"}, "serve")
    assert code == 1 and "niet bereikbaar" in out and "Traceback" not in out
    code, out = run(env, "migrate", "--from", "local", "--to", "local")
    assert code == 2 and "--from local --to neo4j" in out
    code, out = run({**env, "SCHAKEL_STORE": "mongo"}, "info")
    assert code == 2 and "Ongeldige instelling" in out
