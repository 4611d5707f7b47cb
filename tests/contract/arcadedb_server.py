"""Run an ArcadeDB server with its Bolt plugin until terminated (started by the tests).

Usage: ``python arcadedb_server.py ROOT BOLT_PORT HTTP_PORT PASSWORD DATABASE...``
(Java heap: ``ARCADEDB_HEAP``, default 768m.)
"""

from __future__ import annotations

import os
import signal
import sys
import threading


def main() -> None:
    import arcadedb_embedded as arcadedb

    root, bolt, http, password, *databases = sys.argv[1:]
    server = arcadedb.ArcadeDBServer(
        root_path=root, root_password=password,
        config={"server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
                "bolt_port": int(bolt), "http_port": int(http)},
        jvm_kwargs={"heap_size": os.environ.get("ARCADEDB_HEAP", "768m")},
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    for name in databases:
        server.create_database(name)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    server.stop()


if __name__ == "__main__":
    main()
