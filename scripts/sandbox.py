"""`make sandbox`: a throwaway local PostgreSQL to try luna-db by hand; Ctrl-C removes it.

Prints the environment to point luna-db at it, then waits. Nothing is
created in it: that is for you to do, as the README's "Try it by hand" shows.
"""

from __future__ import annotations

import signal
import threading

from tests.pgcluster import LocalCluster


def main() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalCluster(user="luna", password="luna") as cluster:
        print(f"throwaway PostgreSQL on 127.0.0.1:{cluster.port} (user luna, password luna). In another shell:\n")
        print(f"  export LUNA_DB_HOST=127.0.0.1 LUNA_DB_PORT={cluster.port} LUNA_DB_USER=luna LUNA_DB_PASSWORD=luna")
        print("  export PATH=\"$PWD/.venv/bin:$PATH\"\n")
        print("Ctrl-C here stops and removes the server.", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    print("\nthe throwaway server is stopped and removed.")


if __name__ == "__main__":
    main()
