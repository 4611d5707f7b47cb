"""Crashes and a second writer, with real processes on the embedded store: `kill -9` of an
import leaves whole batches and a re-import finishes the job; `kill -9` of the server in
the middle of a write burst loses no acknowledged write; a 5,000-row import beside a
serving, writing server takes at most twice its time on an idle store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from schakel.graph.local import LocalGraphStore

pytestmark = pytest.mark.slow
EXE = str(Path(sys.executable).with_name("schakel"))
BATCH = 250


def members_document(n: int, prefix: str) -> dict[str, Any]:
    return {"members": [{"id": f"{prefix}-{i:05d}", "name": f"Lid {prefix} {i}",
                         "gemeente": ["Emmen", "Zwolle", "Utrecht"][i % 3],
                         "themes": ["thuiszitters"], "profile": f"Ik werk aan thuiszitters {i}."}
                        for i in range(n)]}


def env_for(data: Path, embeddings: Path) -> dict[str, str]:
    return {**os.environ, "SCHAKEL_DATA_DIR": str(data), "SCHAKEL_EMBEDDINGS": str(embeddings),
            "SCHAKEL_LOG_FORMAT": "text", "SCHAKEL_RATE_WRITES": "1000000/minute"}


def count(data: Path, prefix: str) -> int:
    if not (data / "schakel.sqlite").exists():
        return 0
    db = sqlite3.connect(f"file:{data / 'schakel.sqlite'}?mode=ro", uri=True, timeout=30)
    try:
        return int(db.execute("SELECT count(*) FROM nodes WHERE id LIKE ?",
                              (f"{prefix}-%",)).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def healthy(data: Path) -> None:
    db = sqlite3.connect(data / "schakel.sqlite")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def test_kill_9_during_an_import_leaves_whole_batches(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = env_for(data, tmp_path / "emb.sqlite")
    doc = tmp_path / "leden.json"
    doc.write_text(json.dumps(members_document(4000, "k")), encoding="utf-8")
    proc = subprocess.Popen([EXE, "import", "--batch-size", str(BATCH), str(doc)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while count(data, "k") < 2 * BATCH:  # some batches are in
        assert proc.poll() is None, "the import ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = count(data, "k")
    healthy(data)
    assert 0 < stored < 4000 and stored % BATCH == 0  # whole batches only
    again = subprocess.run([EXE, "import", "--batch-size", str(BATCH), str(doc)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-2000:]
    assert count(data, "k") == 4000


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], str, subprocess.Popen[bytes]]]:
    """`schakel serve` on a small seeded store, with an admin key."""
    data = tmp_path / "data"
    env = env_for(data, tmp_path / "emb.sqlite")
    subprocess.run([EXE, "seed", "-n", "30"], env=env, check=True, capture_output=True)
    made = subprocess.run([EXE, "users", "add", "beheer", "--role", "admin"], env=env,
                          check=True, capture_output=True, text=True)
    key = next(w for w in made.stdout.split() if w.startswith("sk-"))
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([EXE, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    yield base, env, key, proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)


def test_kill_9_of_the_server_loses_no_acknowledged_write(served: Any, tmp_path: Path) -> None:
    base, _env, key, proc = served
    acknowledged: list[str] = []
    stop = threading.Event()

    def write(n: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                          timeout=30) as client:
            i = 0
            while not stop.is_set():
                member = {"id": f"w{n}-{i:05d}", "name": f"Schrijver {n} {i}",
                          "gemeente": "Emmen"}
                try:
                    r = client.post("/api/v1/members", json=member)
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 201:
                    acknowledged.append(member["id"])
                i += 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 40
    data = tmp_path / "data"
    healthy(data)
    with LocalGraphStore(data / "schakel.sqlite") as store:
        lost = [m for m in acknowledged if store.get(m) is None]
    assert lost == []


def test_an_import_beside_a_busy_server_takes_at_most_twice_its_idle_time(
        served: Any, tmp_path: Path) -> None:
    base, env, key, _proc = served
    idle_env = env_for(tmp_path / "idle", tmp_path / "emb.sqlite")
    subprocess.run([EXE, "seed", "-n", "30"], env=idle_env, check=True, capture_output=True)

    def timed_import(environment: dict[str, str], prefix: str) -> float:
        doc = tmp_path / f"{prefix}.json"
        doc.write_text(json.dumps(members_document(5000, prefix)), encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run([EXE, "import", str(doc)], env=environment, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:]
        return time.perf_counter() - started

    idle = timed_import(idle_env, "idle")
    stop = threading.Event()
    writes = [0]

    def write() -> None:  # the server keeps writing while the import runs
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                          timeout=60) as client:
            i = 0
            while not stop.is_set():
                r = client.post("/api/v1/members", json={"id": f"bz-{i:05d}", "name": "Bezig",
                                                         "gemeente": "Zwolle"})
                assert r.status_code == 201, r.text
                writes[0] += 1
                i += 1
                time.sleep(0.05)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        busy = timed_import(env, "busy")
    finally:
        stop.set()
        writer.join(timeout=60)
    assert writes[0] > 0
    assert busy <= 2 * idle + 1.0, f"import took {busy:.1f} s beside the server, {idle:.1f} s idle"
    assert count(tmp_path / "data", "busy") == 5000
