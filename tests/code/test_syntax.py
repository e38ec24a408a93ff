"""Python's parser from several threads at once: CPython 3.11's AST constructor keeps its depth
counter per interpreter, so a finaliser that runs Python code during one thread's parse while
another thread parses makes ``ast.parse`` raise ``SystemError``. ``syntax.parse`` takes them one at a
time, and every parse in the package goes through it."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from workflowbench.code import syntax

PACKAGE = Path(syntax.__file__).resolve().parents[1]


class _Cycle:
    """Garbage only the cyclic collector frees, whose finaliser runs Python code mid-parse."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        sum(range(3))


@pytest.fixture
def eager_switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_parses_in_four_threads_with_finalisers_running(eager_switching: None) -> None:
    code = (PACKAGE / "code" / "from_code.py").read_text()
    errors: list[BaseException] = []

    def work() -> None:
        for _ in range(60):
            try:
                syntax.parse(code)
            except SystemError as exc:
                errors.append(exc)
                return
            _ = [_Cycle() for _ in range(200)]

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_every_parse_in_the_package_goes_through_syntax() -> None:
    direct = re.compile(r"\bast\.parse\(|\bliteral_eval\(")
    found = [f"{p.relative_to(PACKAGE)}:{n}" for p in sorted(PACKAGE.rglob("*.py")) if p.name != "syntax.py"
             for n, line in enumerate(p.read_text().splitlines(), 1)
             if direct.search(line.split("#")[0]) and "``" not in line]
    assert found == []
