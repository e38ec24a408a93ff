"""``kill -9`` on ``workflowbench build`` (the process alone, not its group) ends its temporary
Prefect server too."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import RAW, ROOT

pytestmark = pytest.mark.timeout(300)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_killing_the_build_ends_its_temporary_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OPENAI_"))}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect")}
    build = subprocess.Popen([str(ROOT / ".venv" / "bin" / "workflowbench"), "build", "-s", str(RAW), "-w",
                              str(tmp_path / "w.duckdb")], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, text=True, start_new_session=True)
    assert build.stderr is not None
    server = None
    for line in build.stderr:
        found = re.search(r"temporary Prefect server at (\S+) \(pid (\d+)\)", line)
        if found:
            server = int(found[2])
        if server and "Flow run" in line:  # the flow is running against it
            break
    assert server is not None and alive(server)
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 60  # a guard against a hang, not a measure
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(server)
