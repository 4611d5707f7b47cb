"""`schakel serve` in a process of its own on loopback, for the load test and the benchmark:
started on a scratch data dir, waited for until it answers and has finished its background
work (the theme model's fit, the network's metrics), stopped afterwards. A client in another
process shares no interpreter with it, as in production."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import typer

from .cli import console
from .config import Settings

HOST = "127.0.0.1"  # loopback only: these tools never load someone else's server
QUIET_CPU = 0.1  # the server is done preparing below this share of one core ...
QUIET_WINDOWS = 5  # ... over this many 2-second windows in a row (one window fell in the
# pause between the matcher's build and the network's metrics at 100k: the timings then
# measured the metrics, p95 145 ms instead of 35) ...
QUIET_WITHIN_S = 600.0  # ... or after this long, whichever comes first


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(scratch: Settings, workers: int = 1,
            extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, int, float]]:
    """A running server on ``scratch``'s data dir: (base URL, its pid, seconds until it
    answered). Its output goes to ``server.log`` in that dir."""
    port = free_port()
    env = {**os.environ, "SCHAKEL_DATA_DIR": str(scratch.data_dir), "SCHAKEL_STORE": "local",
           "SCHAKEL_EMBEDDINGS": str(scratch.embeddings_path), "SCHAKEL_LOG_FORMAT": "text",
           **(extra_env or {})}
    exe = Path(sys.executable).with_name("schakel")
    log = Path(scratch.data_dir) / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(exe), "serve", "--host", HOST, "--port", str(port),
                                 "--workers", str(workers)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:
        started = time.monotonic()
        with console.status("Server starten en matcher voorbereiden ..."):
            wait_ready(base, proc, workers)
        ready = time.monotonic() - started
        # Each worker fits its theme model once its matcher is ready (half a minute or more
        # at 10,000 members on 2 cores): measuring during that would measure the fit.
        with console.status("Wachten tot de server klaar is met voorbereiden ..."):
            if not wait_quiet(proc.pid):
                console.print("[yellow]De server bleef bezig; de cijfers vallen mogelijk "
                              "lager uit.[/yellow]")
        yield base, proc.pid, ready
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_ready(base: str, proc: subprocess.Popen[bytes], workers: int) -> None:
    import httpx

    deadline = time.monotonic() + 900
    ready = 0
    while ready < workers * 3:  # several answers in a row: every worker has its matcher
        if proc.poll() is not None:
            raise typer.Exit(2)
        try:
            ok = httpx.get(f"{base}/api/v1/ready", timeout=10).status_code == 200
        except httpx.HTTPError:
            ok = False
        ready = ready + 1 if ok else 0
        if time.monotonic() > deadline:
            console.print("[red]De server werd niet op tijd klaar.[/red]")
            raise typer.Exit(2)
        time.sleep(0.2 if ok else 0.5)


def cpu_seconds(pid: int) -> float | None:
    """CPU time used so far by a process and its children (the workers), from /proc;
    None where there is no /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, found = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
            found = True
    return total if found else None


def wait_quiet(pid: int, interval: float = 2.0) -> bool:
    """Wait until the server uses less than QUIET_CPU of a core over QUIET_WINDOWS windows
    of ``interval`` seconds in a row (its background work is done). False if it did not
    within QUIET_WITHIN_S."""
    deadline = time.monotonic() + QUIET_WITHIN_S
    before = cpu_seconds(pid)
    quiet = 0
    while before is not None and time.monotonic() < deadline:
        time.sleep(interval)
        now = cpu_seconds(pid)
        if now is None:
            return True
        quiet = quiet + 1 if now - before < QUIET_CPU * interval else 0
        if quiet >= QUIET_WINDOWS:
            return True
        before = now
    return before is None
