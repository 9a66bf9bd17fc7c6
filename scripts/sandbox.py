"""`make sandbox`: a throwaway local PostgreSQL to try luna-db by hand; SIGINT or SIGTERM removes it.

Prints the environment to point luna-db at it (with the absolute path of
this Python's bin directory, so the `export PATH` works from any directory),
its pid and how to stop it, then waits. Nothing is created in it: that is for
you to do, as the README's "Try it by hand" shows.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
from pathlib import Path

from tests.pgcluster import LocalCluster

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    stop = threading.Event()
    # Both set explicitly: a shell starts a background job (`make sandbox &`)
    # with SIGINT ignored, and Python then never turns it into KeyboardInterrupt.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    with LocalCluster(user="luna", password="luna") as cluster:
        bin_dir = Path(sys.executable).parent.absolute()  # the venv's bin/ (not resolved: that is the base Python's)
        print(f"throwaway PostgreSQL on 127.0.0.1:{cluster.port} (user luna, password luna), files in {cluster.base_dir}.")
        print("In another shell:\n")
        print(f"  export LUNA_DB_HOST=127.0.0.1 LUNA_DB_PORT={cluster.port} LUNA_DB_USER=luna LUNA_DB_PASSWORD=luna")
        if (bin_dir / "luna-db").exists():
            print(f"  export PATH={shlex.quote(str(bin_dir))}:\"$PATH\"\n")
        else:  # this Python has no luna-db installed: run the checkout's
            command = f"{sys.executable} {ROOT / 'cli.py'}"
            print(f"  alias luna-db={shlex.quote(command)}\n")
        print(f"Stop it (and remove its files) with Ctrl-C here, or: kill {os.getpid()}", flush=True)
        while not stop.wait(0.5):  # a timed wait: the signal handler runs between waits
            pass
    print("\nthe throwaway server is stopped and removed.", flush=True)


if __name__ == "__main__":
    main()
