"""A temporary Prefect server for one ``workflowbench build``, tied to that process: when the
build ends, however it ends (``kill -9`` included), the server ends too. Prefect's own temporary
server is a child process that outlives a killed parent and keeps listening."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.engine import drain_prefect

# Runs beside the build: waits for the build's end of a pipe to close, then stops the server.
WATCHDOG = """
import os, signal, sys, time
pid = int(sys.argv[1])
sys.stdin.buffer.read()
for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 0.0)):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        break
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(0)
        time.sleep(0.1)
"""


@contextmanager
def temporary_server(timeout: int = 90) -> Iterator[str]:
    """Start a temporary server and point Prefect at it; yields its API URL."""
    server = SubprocessASGIServer()
    server.start(timeout=timeout)
    assert server.server_process is not None
    watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, str(server.server_process.pid)],
                                stdin=subprocess.PIPE, start_new_session=True)
    print(f"temporary Prefect server at {server.api_url} (pid {server.server_process.pid})",
          file=sys.stderr, flush=True)
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        # Logs and events still queued go while the server listens: stopped first, Prefect's workers
        # retry against a closed port for over a minute before they give up.
        drain_prefect()
        server.stop()
        if watchdog.stdin is not None:
            watchdog.stdin.close()  # the server is gone already; the watchdog just exits
        watchdog.wait(timeout=30)


def wanted() -> bool:
    """True when no Prefect server is configured (settings include the environment), so the build
    needs a temporary one."""
    return not PREFECT_API_URL.value()
