"""``kill -9`` on a real ``workflowbench crawl routinehub`` process, then a rerun: no file is downloaded
twice, none is missing, and no request is asked again except the one in flight at the kill.

The crawl is stopped at named instants (``WORKFLOWBENCH_PAUSE_AT``, ``workflowbench/pause.py``) and while
the fake site holds a request unanswered, never by guessing with timers."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.crawl.conftest import corpus_files
from tests.support.sites import FakeShortcut, FakeSites, fake_shortcuts
from workflowbench.crawl import sidecar
from workflowbench.crawl.state import read_state
from workflowbench.pause import AT, FILE

WORKFLOWBENCH = str(Path(sys.executable).with_name("workflowbench"))
N = 12
# The crawl is killed four times, each rerun being the next one killed: the instant -> its pause point
# (None: while the fake site holds a download unanswered, a request in flight).
KILLS = (
    ("mid-listing", "crawl-request:listing@2"),  # the first listing page read, the second not asked for
    ("before-a-download", "crawl-request:download@2"),  # a shortcut's page, API and record read, not its file
    ("file-stored", "crawl-stored@2"),  # a file and its metadata in place, the state not told
    ("request-in-flight", None),
)


@pytest.fixture(scope="module")
def shortcuts(manifest: list[dict]) -> list[FakeShortcut]:
    return fake_shortcuts(corpus_files(manifest, N))


def command(sites: FakeSites, folder: Path) -> list[str]:
    return [WORKFLOWBENCH, "crawl", "routinehub", "--to", str(folder), "--delay", "0", "--jitter", "0",
            "--routinehub-url", sites.routinehub_url, "--icloud-url", sites.icloud_url,
            "--content-host", sites.content_host, "--format", "json"]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOWBENCH_")}
    return env | extra


def wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes]) -> None:
    """Until ``condition()`` holds; a crawl that ends first fails the test with its output."""
    deadline = time.monotonic() + 120
    while not condition():
        if proc.poll() is not None:
            _, errs = proc.communicate()
            pytest.fail(f"the crawl ended (status {proc.returncode}) before {what}:\n{errs.decode()[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no {what} within 120 s")
        time.sleep(0.02)


def test_killed_four_times_then_finished(shortcuts: list[FakeShortcut], tmp_path: Path) -> None:
    folder = tmp_path / "routinehub"
    held = shortcuts[8]  # listed on the second page: reached after the other kills
    with FakeSites(shortcuts, per_page=5) as sites:
        before: dict[tuple[str, object], int] = {}
        stopped: list[str] = []
        for moment, point in KILLS:
            marker = tmp_path / f"paused-{moment}"
            env = environment(**{AT: point, FILE: str(marker)}) if point else environment()
            if point is None:
                sites.fault("download", held.rid, "hang")
            proc = subprocess.Popen(command(sites, folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            if point is None:
                wait_for(lambda: sites.hits[("download", held.rid)] == 1, "the held download", proc)
            else:
                wait_for(marker.exists, f"the pause at {point}", proc)
            os.kill(proc.pid, signal.SIGKILL)
            _, errs = proc.communicate()
            assert proc.returncode == -signal.SIGKILL
            stopped.append(errs.decode())
            # what the run before this one had asked, this one did not ask again
            assert {k: n - before[k] for k, n in sites.hits.items() if k in before and n > before[k]} == {}, moment
            before = dict(sites.hits)
        sites.release.set()
        rerun = subprocess.run(command(sites, folder), capture_output=True, env=environment(), timeout=300)
        assert rerun.returncode == 0, rerun.stderr.decode()[-3000:]
        again = {k: n - before[k] for k, n in sites.hits.items() if k in before and n > before[k]}
        assert again == {("download", held.rid): 1}  # only the request in flight at the last kill

        # nothing missing, nothing downloaded twice, nothing half-written
        for s in shortcuts:
            data = (folder / f"{s.sid}.shortcut").read_bytes()
            assert data == s.data, f"{s.sid}: missing or wrong"
            meta = sidecar.read(str(folder / f"{s.sid}.shortcut.meta.json"), hashlib.sha256(data).hexdigest())
            assert meta["title"] == s.title
            assert sites.downloads[s.rid] == 1, f"{s.sid} downloaded {sites.downloads[s.rid]} times"
        assert sites.hits[("listing", 1)] == 1  # the killed listing went on from its second page
        assert "finished what a stopped run had downloaded" in stopped[3]  # the run after 'file-stored'
    with read_state(folder) as state:
        assert state.counts() == {"ok": N} and state.errors() == []
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        n for s in shortcuts for n in (f"{s.sid}.shortcut", f"{s.sid}.shortcut.meta.json"))
    assert not list((folder / ".crawl" / "tmp").glob("*")), "temporary files left behind"
