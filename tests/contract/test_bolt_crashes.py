"""Crashes on the Bolt side, with real processes: the Neo4j adapter against the ArcadeDB
test server. `kill -9` of `schakel import` leaves whole batches and a re-import finishes
without duplicates; `kill -9` of `schakel serve` during profile writes loses no acknowledged
write; `kill -9` of the database server itself loses no acknowledged write either, the
service answers a Dutch 503 within a bound while the database is away, and answers again
once it is back, without being restarted."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import HERE, PASSWORD, BoltServer, _wait_for_bolt, free_port, open_access_for

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)  # timings: pytest -o log_cli=true --log-cli-level=INFO
EXE = str(Path(sys.executable).with_name("schakel"))
BATCH = 250
IMPORTED = 2000
WRITERS = 4
# While the database is away: a Dutch 503 by then, never a hang. The first request waits
# out the driver's retries (5 s); then calls fail at once for a moment (graph/neo4j_away.py),
# so a crowd does not queue behind each other.
ANSWER_WITHIN_S = 15.0
CROWD_WITHIN_S = 5.0
BACK_WITHIN_S = 90.0  # after it is back: answers again by then, without a restart
CROWD = 80  # requests at once while the database is away (the server has 40 threads)


def members_document(n: int, prefix: str) -> dict[str, Any]:
    return {"members": [{"id": f"{prefix}-{i:05d}", "name": f"Lid {prefix} {i}",
                         "gemeente": ["Emmen", "Zwolle", "Utrecht"][i % 3],
                         "themes": ["thuiszitters"], "profile": f"Ik werk aan thuiszitters {i}."}
                        for i in range(n)]}


def query(server: BoltServer, database: str, cypher: str, **params: Any) -> list[dict[str, Any]]:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        records, _, _ = driver.execute_query(cypher, params, database_=database)
        return [r.data() for r in records]


def counted(server: BoltServer, database: str, prefix: str) -> tuple[int, int]:
    """Members with ids starting ``prefix``: nodes, and distinct ids among them."""
    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    try:
        row = query(server, database, "MATCH (n:Member) WHERE n.id STARTS WITH $p "
                    "RETURN count(n) AS n, count(DISTINCT n.id) AS ids", p=prefix)[0]
    except (Neo4jError, ServiceUnavailable):
        return 0, 0
    return int(row["n"]), int(row["ids"])


def profiles(server: BoltServer, database: str, ids: list[str]) -> dict[str, str]:
    rows = query(server, database, "MATCH (n:Member) WHERE n.id IN $ids "
                 "RETURN n.id AS id, n.profile AS profile", ids=ids)
    return {r["id"]: r["profile"] for r in rows}


@pytest.fixture
def env(bolt_server: BoltServer, tmp_path: Path) -> dict[str, str]:
    bolt_server.wipe("scratch")
    return {**os.environ, **bolt_server.env("scratch"),
            "SCHAKEL_DATA_DIR": str(tmp_path / "data"),
            "SCHAKEL_EMBEDDINGS": str(tmp_path / "emb.sqlite"), "SCHAKEL_LOG_FORMAT": "text",
            "SCHAKEL_RATE_WRITES": "1000000/minute"}


def test_kill_9_during_an_import_leaves_whole_batches(bolt_server: BoltServer,
                                                      env: dict[str, str],
                                                      tmp_path: Path) -> None:
    doc = tmp_path / "leden.json"
    doc.write_text(json.dumps(members_document(IMPORTED, "k")), encoding="utf-8")
    proc = subprocess.Popen([EXE, "import", "--batch-size", str(BATCH), str(doc)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while counted(bolt_server, "scratch", "k-")[0] < 2 * BATCH:  # some batches are in
        assert proc.poll() is None, "the import ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored, distinct = counted(bolt_server, "scratch", "k-")
    log.info(f"import killed with {stored} of {IMPORTED} members stored")
    assert 0 < stored < IMPORTED and stored % BATCH == 0, stored  # whole batches only
    assert distinct == stored
    again = subprocess.run([EXE, "import", "--batch-size", str(BATCH), str(doc)], env=env,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert counted(bolt_server, "scratch", "k-") == (IMPORTED, IMPORTED)  # no duplicates


@dataclass
class Served:
    base: str
    proc: subprocess.Popen[bytes]
    keys: dict[str, str]  # member id -> that member's key
    log: Path


def serve(env: dict[str, str], tmp_path: Path) -> Served:
    """`schakel serve` on a small seeded network, with a key for each of WRITERS members."""
    subprocess.run([EXE, "seed", "-n", "30"], env=env, check=True, capture_output=True,
                   timeout=300)
    access = open_access_for({k: v for k, v in env.items() if k.startswith("SCHAKEL_")})
    try:
        members = [f"m-{i:06d}" for i in range(1, WRITERS + 1)]
        keys = {m: access.add_user(f"schrijver-{m}", "member", m) for m in members}
    finally:
        access.close()
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([EXE, "serve", "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{base}/api/v1/ready", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.2)
    return Served(base, proc, keys, log)


@dataclass
class Writers:
    """One thread per member saving its profile as version 1, 2, 3, ...: an acknowledged
    version must be in the store afterwards (or a later one: a write may land whose answer
    never arrived)."""

    served: Served
    acknowledged: dict[str, int] = field(default_factory=dict)
    answers: list[tuple[int, str, float]] = field(default_factory=list)  # status, body, s
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for member, key in self.served.keys.items():
            self.threads.append(threading.Thread(target=self._write, args=(member, key)))
            self.threads[-1].start()

    def _write(self, member: str, key: str) -> None:
        with httpx.Client(base_url=self.served.base, timeout=60,
                          headers={"Authorization": f"Bearer {key}"}) as client:
            version = 0
            while not self.stop.is_set():
                version += 1
                started = time.monotonic()
                try:
                    r = client.put("/api/v1/me", json={"profile": text(member, version)})
                except httpx.HTTPError:
                    if self.served.proc.poll() is not None:
                        return  # the server is gone
                    continue
                self.answers.append((r.status_code, r.text, time.monotonic() - started))
                if r.status_code == 200:
                    self.acknowledged[member] = version
                else:
                    time.sleep(0.2)

    def count(self) -> int:
        return sum(self.acknowledged.values())

    def wait_for(self, n: int, within: float = 120) -> None:
        deadline = time.monotonic() + within
        start = self.count()
        while self.count() < start + n:
            assert time.monotonic() < deadline, (self.count(), self.answers[-5:])
            time.sleep(0.05)

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def text(member: str, version: int) -> str:
    return f"Ik help scholen bij thuiszitters; profiel van {member}, versie {version:06d}."


def version_of(profile: str | None) -> int:
    return int(profile.rsplit("versie ", 1)[1].rstrip(".")) if profile and "versie" in profile \
        else 0


def assert_none_lost(server: BoltServer, database: str, acknowledged: dict[str, int]) -> None:
    stored = profiles(server, database, list(acknowledged))
    lost = {m: (v, version_of(stored.get(m))) for m, v in acknowledged.items()
            if version_of(stored.get(m)) < v}
    assert lost == {}, f"acknowledged version, stored version: {lost}"


@pytest.fixture
def served(env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    running = serve(env, tmp_path)
    yield running
    if running.proc.poll() is None:
        running.proc.terminate()
        running.proc.wait(timeout=30)


def test_kill_9_of_the_server_loses_no_acknowledged_write(bolt_server: BoltServer,
                                                         served: Served) -> None:
    writers = Writers(served)
    writers.start()
    try:
        writers.wait_for(40)
    finally:
        served.proc.send_signal(signal.SIGKILL)
        served.proc.wait()
        writers.finish()
    assert writers.count() >= 40
    log.info(f"server killed after {writers.count()} acknowledged profile versions")
    assert_none_lost(bolt_server, "scratch", writers.acknowledged)
    assert [a for a in writers.answers if a[0] >= 500] == []


class OwnBolt:
    """An ArcadeDB server of this test's own, to kill and start again on the same root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bolt, self.http = free_port(), free_port()
        self.server = BoltServer(f"bolt://127.0.0.1:{self.bolt}", "root", PASSWORD)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.root / f"server-{self.starts}.log"
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(HERE / "arcadedb_server.py"), str(self.root / "db"),
                 str(self.bolt), str(self.http), PASSWORD, "crash"],
                cwd=self.root, stdout=out, stderr=subprocess.STDOUT, env={**os.environ})
        _wait_for_bolt(self.server.uri, self.proc, log, timeout=120, database="crash")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def own_bolt(tmp_path: Path) -> Iterator[OwnBolt]:
    root = tmp_path / "arcadedb"
    root.mkdir()
    db = OwnBolt(root)
    db.start()
    yield db
    db.stop()


def test_kill_9_of_the_database_loses_nothing_and_the_service_comes_back(
        own_bolt: OwnBolt, tmp_path: Path) -> None:
    env = {**os.environ, **own_bolt.server.env("crash"),
           "SCHAKEL_DATA_DIR": str(tmp_path / "data"),
           "SCHAKEL_EMBEDDINGS": str(tmp_path / "emb.sqlite"), "SCHAKEL_LOG_FORMAT": "text",
           "SCHAKEL_RATE_WRITES": "1000000/minute"}
    running = serve(env, tmp_path)
    reader = next(iter(running.keys.values()))
    writers = Writers(running)
    try:
        writers.start()
        writers.wait_for(20)
        own_bolt.kill()
        down_from = len(writers.answers)
        # Away: every answer is a Dutch 503 within the bound, reads and writes alike.
        for path in ("/api/v1/members?limit=5", "/api/v1/me", "/api/v1/ready", "/leden"):
            started = time.monotonic()
            r = httpx.get(running.base + path, timeout=ANSWER_WITHIN_S + 30,
                          headers={"Authorization": f"Bearer {reader}"})
            took = time.monotonic() - started
            log.info(f"away: {path} {r.status_code} in {took:.2f} s")
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert took <= ANSWER_WITHIN_S, (path, took)
            assert_dutch(r.json()["detail"] if path.startswith("/api") else page_text(r.text))
        crowd = asyncio.run(at_once(running.base, reader, CROWD))  # a crowd asks meanwhile
        log.info(f"away, {CROWD} at once: {sorted({c for c, _ in crowd})}, slowest "
              f"{max(t for _, t in crowd):.2f} s")
        assert {c for c, _ in crowd} == {503} and max(t for _, t in crowd) <= CROWD_WITHIN_S
        deadline = time.monotonic() + 2 * ANSWER_WITHIN_S
        while len(writers.answers) < down_from + 2 * WRITERS:
            assert time.monotonic() < deadline, writers.answers[down_from:]
            time.sleep(0.1)
        while_away = writers.answers[down_from:]
        assert {s for s, _, _ in while_away} <= {503, 200}, while_away  # 200: before the kill
        assert all(took <= ANSWER_WITHIN_S for _, _, took in while_away), while_away
        for status, body, _ in while_away:
            if status == 503:
                assert_dutch(json.loads(body)["detail"])
        acknowledged_before = dict(writers.acknowledged)

        own_bolt.start()  # same root path: what was acknowledged must be there
        assert_none_lost(own_bolt.server, "crash", acknowledged_before)
        back_from = time.monotonic()
        writers.wait_for(2 * WRITERS, within=BACK_WITHIN_S)  # writes work again
        r = httpx.get(running.base + "/api/v1/members?limit=5", timeout=60,
                      headers={"Authorization": f"Bearer {reader}"})
        assert r.status_code == 200, r.text
        assert time.monotonic() - back_from <= BACK_WITHIN_S
        log.info(f"back: {time.monotonic() - back_from:.1f} s after the database; writes while "
              f"away: {len(while_away)}, slowest {max(t for _, _, t in while_away):.2f} s")
        assert running.proc.poll() is None  # the same process, never restarted
    finally:
        writers.finish()
        running.proc.terminate()
        running.proc.wait(timeout=30)
    assert_none_lost(own_bolt.server, "crash", writers.acknowledged)
    assert [a for a in writers.answers if a[0] >= 500 and a[0] != 503] == []


async def at_once(base: str, key: str, n: int) -> list[tuple[int, float]]:
    """``n`` member lists asked at the same moment: (status, seconds) of each."""
    async def one(client: httpx.AsyncClient) -> tuple[int, float]:
        started = time.monotonic()
        r = await client.get("/api/v1/members", params={"limit": 5})
        return r.status_code, time.monotonic() - started

    async with httpx.AsyncClient(base_url=base, timeout=ANSWER_WITHIN_S * 4,
                                 headers={"Authorization": f"Bearer {key}"},
                                 limits=httpx.Limits(max_connections=n)) as client:
        return list(await asyncio.gather(*(one(client) for _ in range(n))))


def page_text(html: str) -> str:
    """The words of the page's main part, without markup (and without the layout's links)."""
    import re

    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


def assert_dutch(detail: Any) -> None:
    text = json.dumps(detail, ensure_ascii=False).lower()
    assert any(w in text for w in ("probeer", "niet bereikbaar", "later", "opnieuw")), detail
    for english in ("unavailable", "error", "connection", "failed", "timeout", "refused"):
        assert english not in text, detail
