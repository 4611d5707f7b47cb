"""Two `schakel serve` workers and a `schakel import` on one store at once, on both stores.

Real processes, as they run in production: every write one worker acknowledges is seen by
the other within a second (a member's own profile edit, an admin's new member, and the
matcher finding the new text), accounts made with `schakel users add` work on both, no
request fails with a 5xx, and two workers acting on one introduction at once leave exactly
one transition.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import BoltServer, free_port

pytestmark = pytest.mark.slow

EXE = str(Path(sys.executable).with_name("schakel"))
SEED_MEMBERS = 60
IMPORTED = 300
VISIBLE_WITHIN_S = 1.0
PROFILE = ("Ik begeleid thuiszittende jongeren met autisme terug naar school via "
           "paardrijlessen op de manege, samen met de leerplichtambtenaar.")
NEW_PROFILE = ("Als ervaringsdeskundige ouder zet ik een lotgenotengroep op voor gezinnen "
               "met een kind dat hoogbegaafd en dyslectisch is.")
QUESTION = ("Onze leerling zit al maanden thuis. Wie heeft ervaring met thuiszitters en "
            "jeugdhulp in de klas?")
RACERS = 10


@pytest.fixture(params=["local", "neo4j"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The settings both workers, the import and the CLI share: one store."""
    data = {"SCHAKEL_DATA_DIR": str(tmp_path / "data")}  # neo4j: only the embedding cache
    if request.param == "local":
        return {"SCHAKEL_STORE": "local", **data}
    server: BoltServer = request.getfixturevalue("bolt_server")
    server.wipe("scratch")
    return {**server.env("scratch"), **data}


def schakel(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run([EXE, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"schakel {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass
class Worker:
    base: str
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class Calls:
    """Every answer the workers gave during the run, to check for 5xx at the end."""

    seen: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, worker: Worker, method: str, path: str, key: str,
                **kwargs: Any) -> httpx.Response:
        r = httpx.request(method, worker.base + path, timeout=30,
                          headers={"Authorization": f"Bearer {key}"}, **kwargs)
        with self.lock:
            self.seen.append((method, worker.base + path, r.status_code))
        return r

    def errors(self) -> list[tuple[str, str, int]]:
        return [c for c in self.seen if c[2] >= 500]


def _start(env: dict[str, str], log: Path) -> Worker:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([EXE, "serve", "--port", str(port)], env={**os.environ, **env},
                                stdout=out, stderr=subprocess.STDOUT)
    return Worker(f"http://127.0.0.1:{port}", proc, log)


def _wait_healthy(worker: Worker, deadline: float) -> None:
    while True:
        if worker.proc.poll() is not None:
            pytest.fail(f"schakel serve stopped:\n{worker.log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{worker.base}/api/v1/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"schakel serve did not come up:\n{worker.log.read_text()[-3000:]}")
        time.sleep(0.2)


@pytest.fixture
def workers(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Worker, Worker]]:
    schakel(env, "seed", "-n", str(SEED_MEMBERS))
    pair = (_start(env, tmp_path / "a.log"), _start(env, tmp_path / "b.log"))
    try:
        deadline = time.monotonic() + 120
        for w in pair:
            _wait_healthy(w, deadline)
        yield pair
    finally:
        for w in pair:
            w.proc.terminate()
        for w in pair:
            try:
                w.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                w.proc.kill()
                w.proc.wait()


def _import_file(path: Path) -> Path:
    themes = ["thuiszitters", "passend onderwijs", "preventie", "schoolverzuim"]
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "name", "function", "gemeente", "themes", "profile"])
        for n in range(IMPORTED):
            out.writerow([f"imp-{n:04d}", f"Ingelezen Lid {n}", "intern begeleider", "Emmen",
                          themes[n % len(themes)],
                          f"Ik werk als intern begeleider aan {themes[n % len(themes)]}, "
                          f"casus {n}."])
    return path


def _until(check: Callable[[], bool], within: float = VISIBLE_WITHIN_S) -> float:
    """Seconds until ``check()`` held; fails after ``within``."""
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > within:
            pytest.fail(f"not visible within {within} s")
        time.sleep(0.02)


def _key(env: dict[str, str], *args: str) -> str:
    return schakel(env, "users", "add", *args).strip().splitlines()[-1]


def test_two_workers_and_an_import_on_one_store(env: dict[str, str], tmp_path: Path,
                                                workers: tuple[Worker, Worker]) -> None:
    a, b = workers
    calls = Calls()
    started = time.monotonic()

    # Accounts made by the CLI after the workers started work on both: they are shared.
    admin = _key(env, "beheer", "--role", "admin")
    staff = _key(env, "regie", "--role", "staff")
    listed = calls.request(a, "GET", "/api/v1/members", admin, params={"limit": 500}).json()
    before = listed["count"]  # members with visibility "none" are not counted
    me = next(m["id"] for m in listed["data"] if m["id"].startswith("m-"))
    member = _key(env, "lid", "--member", me)
    for w in (a, b):
        for key in (admin, staff, member):
            assert calls.request(w, "GET", "/api/v1/themes", key).status_code == 200
    for w in (a, b):  # both matchers ready before the clock starts
        r = calls.request(w, "POST", "/api/v1/match", staff, json={"text": QUESTION})
        assert r.status_code == 200, r.text

    stop = threading.Event()

    def background_reads() -> None:  # a steady trickle of reads on both workers
        while not stop.is_set():
            for w in (a, b):
                calls.request(w, "GET", "/api/v1/members", staff, params={"limit": 5})
            stop.wait(0.1)

    reader = threading.Thread(target=background_reads, daemon=True)
    reader.start()
    importing = subprocess.Popen(
        [EXE, "import", str(_import_file(tmp_path / "leden.csv")), "--batch-size", "10"],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timings: dict[str, float] = {}
    try:
        # A member edits their own profile on A; B shows it, and B's matcher finds it.
        r = calls.request(a, "PUT", "/api/v1/me", member,
                          json={"profile": PROFILE, "visibility": "members",
                                "consent_matching": True})
        assert r.status_code == 200, r.text
        timings["profile on B"] = _until(lambda: calls.request(
            b, "GET", f"/api/v1/members/{me}", staff).json().get("profile") == PROFILE)

        def found(worker: Worker, member_id: str, text: str) -> bool:
            r = calls.request(worker, "POST", "/api/v1/match", staff,
                              json={"text": text, "kinds": ["member", "expert", "ambassador"],
                                    "limit": 5})
            return r.status_code == 200 and member_id in [x["id"] for x in r.json()["results"]]

        timings["match on B"] = _until(lambda: found(b, me, PROFILE))

        # An admin adds a member on B; A shows it and A's matcher finds it.
        r = calls.request(b, "POST", "/api/v1/members", admin,
                          json={"id": "new-0001", "name": "Nieuw Lid", "gemeente": "Assen",
                                "profile": NEW_PROFILE})
        assert r.status_code == 201, r.text
        timings["new member on A"] = _until(lambda: calls.request(
            a, "GET", "/api/v1/members/new-0001", staff).status_code == 200)
        timings["match on A"] = _until(lambda: found(a, "new-0001", NEW_PROFILE))
        overlapped = importing.poll() is None

        # One introduction, answered by both workers at once: exactly one transition.
        q = calls.request(a, "POST", "/api/v1/questions", staff,
                          json={"text": QUESTION, "asker": me})
        assert q.status_code == 201, q.text
        slate = calls.request(a, "POST", f"/api/v1/questions/{q.json()['id']}/slate", staff)
        assert slate.status_code == 201, slate.text
        intro = next(c["id"] for c in slate.json()["candidates"]
                     if c["kind"] in ("member", "expert", "ambassador"))
        r = calls.request(a, "POST", f"/api/v1/introductions/{intro}/actions", staff,
                          json={"action": "approve"})
        assert r.status_code == 200, r.text
        gate = threading.Barrier(RACERS)
        codes: list[int] = []

        def race(worker: Worker) -> None:
            gate.wait()
            codes.append(calls.request(worker, "POST", f"/api/v1/introductions/{intro}/actions",
                                       staff, json={"action": "candidate_accept"}).status_code)

        racers = [threading.Thread(target=race, args=((a, b)[n % 2],)) for n in range(RACERS)]
        for t in racers:
            t.start()
        for t in racers:
            t.join()
        history = calls.request(b, "GET", f"/api/v1/introductions/{intro}", staff).json()
    finally:
        stop.set()
        reader.join()
        try:
            out, _ = importing.communicate(timeout=120)
        finally:
            importing.kill()
    timings["total"] = time.monotonic() - started
    print(f"timings: {timings}; import overlapped the checks: {overlapped}")  # noqa: T201

    assert importing.returncode == 0, out.decode(errors="replace")
    assert not calls.errors(), calls.errors()[:10]
    assert sorted(codes) == [200] + [409] * (RACERS - 1), codes
    assert [h["action"] for h in history["history"]].count("candidate_accept") == 1
    assert history["state"] == "candidate_accepted"
    for w in (a, b):  # the whole import is visible through both workers
        total = calls.request(w, "GET", "/api/v1/members", admin, params={"limit": 1})
        assert total.json()["count"] == before + IMPORTED + 1
