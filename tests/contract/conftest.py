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
from schakel.service.access import AccessStore, open_access
from schakel.service.config import Settings

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


def open_access_for(env: dict[str, str]) -> AccessStore:
    """The accounts a Schakel process started with ``env`` (SCHAKEL_* variables) sees."""
    return open_access(Settings(**{k.removeprefix("SCHAKEL_").lower(): v
                                   for k, v in env.items()}))


def _wait_for_bolt(uri: str, proc: subprocess.Popen[bytes], log: Path, timeout: float,
                   database: str = DATABASES[-1]) -> None:
    from neo4j import GraphDatabase
    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the Bolt test server stopped (exit {proc.returncode}):\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        try:
            with (GraphDatabase.driver(uri, auth=("root", PASSWORD)) as driver,
                  driver.session(database=database) as session):
                if session.run("RETURN 1 AS ok").single(strict=True)["ok"] == 1:  # no retries
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


@dataclass(frozen=True)
class Demo:
    """A running `schakel demo` process and the settings it was started with."""

    base: str
    env: dict[str, str]
    headers: dict[str, str]


def _start_demo(env: dict[str, str], log: Path, members: int, seed: int
                ) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    exe = Path(sys.executable).with_name("schakel")
    with log.open("wb") as out:
        proc = subprocess.Popen([str(exe), "demo", "-n", str(members), "--seed", str(seed),
                                 "--port", str(port)], env={**os.environ, **env},
                                stdout=out, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def _wait_until_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    # Ready, not just up: the read models (the matcher encodes a small demo's texts before it
    # answers) are built, as a load balancer would wait; a loaded machine needs minutes.
    deadline = time.monotonic() + 600
    while True:
        if proc.poll() is not None:
            pytest.fail(f"schakel demo stopped:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base}/api/v1/ready", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"schakel demo did not come up:\n{log.read_text(errors='replace')}")
        time.sleep(0.3)


DEMO_MEMBERS, DEMO_SEED = 300, 7


@pytest.fixture(scope="session")
def demos(bolt_server: BoltServer, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[str, Demo]]:
    """`schakel demo` twice, as a user runs it: on the embedded store and, with
    SCHAKEL_STORE=neo4j, on the Bolt test server; same members, same seed."""
    root = tmp_path_factory.mktemp("demos")
    bolt_server.wipe("seeded")
    envs = {"local": {"SCHAKEL_STORE": "local", "SCHAKEL_DATA_DIR": str(root / "data")},
            "neo4j": {**bolt_server.env("seeded"), "SCHAKEL_DATA_DIR": str(root / "unused")}}
    # The embedded store is seeded first and then opened by `demo`, as a server usually
    # opens it: its edges then come in file order, which the Neo4j store reproduces.
    seeded = subprocess.run([str(Path(sys.executable).with_name("schakel")), "seed", "-n",
                             str(DEMO_MEMBERS), "--seed", str(DEMO_SEED)],
                            env={**os.environ, **envs["local"]}, capture_output=True, text=True)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    headers = {}
    for kind, env in envs.items():  # an admin sees every route; same name on both sides
        access = open_access_for(env)
        headers[kind] = {"Authorization": f"Bearer {access.add_user('test-beheer', 'admin')}"}
        access.close()
    started = {kind: _start_demo(env, root / f"{kind}.log", DEMO_MEMBERS, DEMO_SEED)
               for kind, env in envs.items()}
    try:
        for kind, (proc, base) in started.items():
            _wait_until_ready(base, proc, root / f"{kind}.log")
        yield {kind: Demo(base, envs[kind], headers[kind])
               for kind, (_, base) in started.items()}
    finally:
        for proc, _ in started.values():
            proc.terminate()
        for proc, _ in started.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
