"""Both store adapters behind one fixture; Neo4j's side is a real Bolt server (ArcadeDB from
PyPI, see the README) started once per session in its own process.

If the server cannot start, every Neo4j test fails: CI must not pass without them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from schakel.graph.local import LocalGraphStore
from schakel.graph.store import GraphStore

PASSWORD = "schakel-test-123"
DATABASES = ("contract", "seeded", "scratch")
HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class BoltServer:
    uri: str
    user: str
    password: str

    def env(self, database: str) -> dict[str, str]:
        """The settings that point Schakel at one database of this server."""
        return {"SCHAKEL_STORE": "neo4j", "SCHAKEL_NEO4J_URI": self.uri,
                "SCHAKEL_NEO4J_USER": self.user, "SCHAKEL_NEO4J_PASSWORD": self.password,
                "SCHAKEL_NEO4J_DATABASE": database}

    def wipe(self, database: str) -> None:
        from neo4j import GraphDatabase

        with GraphDatabase.driver(self.uri, auth=(self.user, self.password)) as driver:
            driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)


def _wait_for_bolt(uri: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    from neo4j import GraphDatabase
    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the Bolt test server stopped (exit {proc.returncode}):\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        try:
            with GraphDatabase.driver(uri, auth=("root", PASSWORD)) as driver:
                records, _, _ = driver.execute_query("RETURN 1 AS ok", database_=DATABASES[-1])
                if records[0]["ok"] == 1:
                    return
        except (ServiceUnavailable, Neo4jError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the Bolt test server did not answer RETURN 1 within {timeout:.0f} s:\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltServer]:
    """ArcadeDB with its Bolt plugin on free ports, in a separate process, for the session."""
    root = tmp_path_factory.mktemp("arcadedb")
    bolt, http = free_port(), free_port()
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "arcadedb_server.py"), str(root / "db"), str(bolt),
             str(http), PASSWORD, *DATABASES],
            cwd=root, stdout=out, stderr=subprocess.STDOUT, env={**os.environ},
        )
    try:
        uri = f"bolt://127.0.0.1:{bolt}"
        _wait_for_bolt(uri, proc, log, timeout=120)
        yield BoltServer(uri, "root", PASSWORD)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


Opener = Callable[[], GraphStore]


@pytest.fixture(params=["local", "neo4j"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens stores on one clean data set: each call is another client of the same data."""
    opened: list[GraphStore] = []
    if request.param == "local":
        def open_store() -> GraphStore:
            opened.append(LocalGraphStore(tmp_path / "graph.sqlite"))
            return opened[-1]
    else:
        from schakel.graph.neo4j import Neo4jGraphStore

        server: BoltServer = request.getfixturevalue("bolt_server")
        server.wipe("contract")

        def open_store() -> GraphStore:
            opened.append(Neo4jGraphStore(server.uri, server.user, server.password,
                                          "contract"))
            return opened[-1]
    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def store(backend: Opener) -> GraphStore:
    return backend()
