"""Crawl tests talk to the fake sites on 127.0.0.1 only: every socket this process opens is checked, so
a test that would reach any other host fails instead."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CORPUS, RAW
from tests.support.sites import FakeShortcut, fake_shortcuts

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host == "localhost"
    return True  # unix sockets (Prefect's, the test harness's) are local


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def connect(self: socket.socket, address: object) -> None:
        if not _loopback(address):
            raise AssertionError(f"a crawl test tried to reach {address!r}, not 127.0.0.1")
        return _connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        if not _loopback(address):
            raise AssertionError(f"a crawl test tried to reach {address!r}, not 127.0.0.1")
        return _connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield


def corpus_files(manifest: list[dict], n: int) -> list[tuple[str, bytes]]:
    """``n`` distinct corpus shortcuts (title, bytes), the same ones on every run (by content hash)."""
    rows = sorted((r for r in manifest if r["representative"]), key=lambda r: r["sha256"])[:n]
    assert len(rows) == n, f"the corpus has only {len(rows)} distinct shortcuts"
    return [(Path(r["path"]).stem, (CORPUS / r["path"]).read_bytes()) for r in rows]


@pytest.fixture
def examples() -> list[FakeShortcut]:
    """Fake RoutineHub entries for the project's own example shortcuts (raw_shortcuts/), for tests of the
    client that need no corpus."""
    return fake_shortcuts([(p.stem, p.read_bytes()) for p in sorted(RAW.glob("*.shortcut"))])
